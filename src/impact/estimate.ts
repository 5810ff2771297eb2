import type { ExportRun } from '../state/index.js';

/** Bytes for `rows` at the bytes per row of the most recent successful run that wrote rows. */
export function estimateBytes(rows: number, runs: readonly ExportRun[]): number | undefined {
  const last = runs.filter((r) => r.status === 'succeeded' && r.rows > 0 && r.bytes > 0).at(-1);
  if (last === undefined) return undefined;
  return Math.round((rows * last.bytes) / last.rows);
}

/**
 * Data files a run of `rows` rows would write under the export's chunk settings: one without
 * chunking, ⌈rows / maxRows⌉, or ⌈bytes / maxBytes⌉ when the bytes can be estimated.
 */
export function estimateFiles(
  rows: number,
  bytes: number | undefined,
  chunk: { maxRows?: number; maxBytes?: number | string } | undefined,
): number | undefined {
  if (rows === 0) return 0;
  const byRows = chunk?.maxRows === undefined ? 1 : Math.ceil(rows / chunk.maxRows);
  if (chunk?.maxBytes === undefined) return byRows;
  if (bytes === undefined) return undefined;
  const max = byteSize(chunk.maxBytes);
  return Math.max(byRows, Math.ceil(bytes / max));
}

function byteSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+)\s*(B|KB|MB|GB)?$/i.exec(size.trim());
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(m?.[2] ?? 'B').toUpperCase() as 'B'];
  return Math.max(1, Number(m?.[1] ?? 1) * unit);
}
