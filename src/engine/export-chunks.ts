import { rename, rm, stat } from 'node:fs/promises';
import { OutflowError } from '../diagnostics/errors.js';
import type { Export } from '../schema/index.js';

/**
 * Chunk boundaries, ours and deterministic (DuckDB's FILE_SIZE_BYTES is not reliable with
 * parallel writers):
 * - `maxRows`: exact. Files hold rows 1..N, N+1..2N, … of the part in the export order.
 * - `maxBytes`: every file is at most maxBytes, unless a single row is larger (that file then
 *   holds just that row). Rows per file are estimated from a sample written first (up to
 *   SAMPLE_ROWS rows, 90% of the limit), then every file is measured and any file over the
 *   limit is split in half, repeatedly. Boundaries depend only on the data and the format, so a
 *   re-run cuts the same files; files are not packed to the limit (they may be smaller than
 *   necessary).
 * - Both: a file satisfies both limits.
 */
export interface ChunkRange {
  /** 1-based row numbers within the part, inclusive. */
  from: number;
  to: number;
}

export interface WrittenChunk extends ChunkRange {
  path: string;
}

export interface ChunkIo {
  /** Called with the ranges about to be written, before their writes (to look up boundaries). */
  prepare?(ranges: readonly ChunkRange[]): Promise<void>;
  write(range: ChunkRange, target: string): Promise<void>;
  tempPath(range: ChunkRange): string;
}

export const SAMPLE_ROWS = 100_000;

export async function planChunks(rows: number, chunk: Export['chunk'], io: ChunkIo): Promise<WrittenChunk[]> {
  if (rows === 0) return [];
  const maxRows = chunk?.maxRows;
  const maxBytes = chunk?.maxBytes === undefined ? undefined : parseByteSize(chunk.maxBytes);
  if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows > 0)) {
    throw new OutflowError('export-bad-chunk', `chunk.maxRows must be a positive integer, got ${maxRows}`);
  }
  if (maxBytes === undefined) {
    const ranges = fixedRanges(rows, maxRows ?? rows);
    await io.prepare?.(ranges);
    const written: WrittenChunk[] = [];
    for (const range of ranges) written.push(await writeTo(io, range));
    return written;
  }

  // Estimate rows per file from a sample (which is the whole part when the part is small).
  const sampleRange = { from: 1, to: Math.min(rows, SAMPLE_ROWS, maxRows ?? rows) };
  await io.prepare?.([sampleRange]);
  const sample = await writeTo(io, sampleRange);
  const sampleBytes = (await stat(sample.path)).size;
  let perFile: number;
  if (sampleBytes <= maxBytes && sample.to === rows) return [sample];
  if (sampleBytes <= maxBytes && maxRows !== undefined && sample.to === maxRows) perFile = maxRows;
  else {
    const sampleRows = sample.to - sample.from + 1;
    perFile = Math.max(1, Math.floor((maxBytes * 0.9 * sampleRows) / sampleBytes));
    if (maxRows !== undefined) perFile = Math.min(perFile, maxRows);
  }
  const written: WrittenChunk[] = [];
  const ranges = fixedRanges(rows, perFile);
  await io.prepare?.(ranges);
  for (const range of ranges) {
    const reuse = range.from === sample.from && range.to === sample.to;
    written.push(reuse ? sample : await writeTo(io, range));
  }
  if (!written.includes(sample)) await rm(sample.path, { force: true });
  const out: WrittenChunk[] = [];
  for (const file of written) out.push(...(await fitBytes(io, file, maxBytes)));
  return out;
}

/** Splits a written file in halves until each piece is at most maxBytes (or one row). */
async function fitBytes(io: ChunkIo, file: WrittenChunk, maxBytes: number): Promise<WrittenChunk[]> {
  const { size } = await stat(file.path);
  if (size <= maxBytes || file.from === file.to) return [file];
  await rm(file.path, { force: true });
  const middle = file.from + Math.floor((file.to - file.from + 1) / 2) - 1;
  const halves = [
    { from: file.from, to: middle },
    { from: middle + 1, to: file.to },
  ];
  await io.prepare?.(halves);
  const left = await writeTo(io, halves[0]!);
  const right = await writeTo(io, halves[1]!);
  return [...(await fitBytes(io, left, maxBytes)), ...(await fitBytes(io, right, maxBytes))];
}

async function writeTo(io: ChunkIo, range: ChunkRange): Promise<WrittenChunk> {
  const target = io.tempPath(range);
  const partial = `${target}.part`;
  await io.write(range, partial);
  await rename(partial, target);
  return { ...range, path: target };
}

export function fixedRanges(rows: number, perFile: number): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  for (let from = 1; from <= rows; from += perFile)
    ranges.push({ from, to: Math.min(rows, from + perFile - 1) });
  return ranges;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** `100MB` → 104857600 (units are powers of 1024, as the schema says); numbers are bytes. */
export function parseByteSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+)\s*(B|KB|MB|GB)?$/i.exec(size.trim());
  if (m === null) {
    throw new OutflowError('export-bad-chunk', `chunk.maxBytes "${size}" is not a size`, {
      hint: 'write a size such as 100MB',
    });
  }
  return Number(m[1]) * (UNITS[(m[2] ?? 'B').toUpperCase()] ?? 1);
}
