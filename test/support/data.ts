import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';

export const MB = 1024 * 1024;

/** The size of a data row, near enough: an id, a comma, 250 hex characters, a newline. */
const ROW_BYTES = 258;

/**
 * Writes `mb` MB of `id,payload` CSV rows (ids 1, 2, …; payloads of 250 random hex characters,
 * so the file is incompressible) quickly: one random buffer per 10,000 rows. Returns the row count.
 */
export async function writeIncompressibleCsv(file: string, mb: number): Promise<number> {
  const rows = Math.ceil((mb * MB) / ROW_BYTES);
  const out = createWriteStream(file);
  out.write('id,payload\n');
  for (let start = 1; start <= rows; start += 10_000) {
    const n = Math.min(10_000, rows - start + 1);
    const hex = randomBytes(125 * n).toString('hex');
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`${start + i},${hex.slice(i * 250, i * 250 + 250)}\n`);
    if (!out.write(lines.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return rows;
}
