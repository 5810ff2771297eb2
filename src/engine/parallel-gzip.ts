import { open, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Uncompressed bytes per gzip member: big enough for a good ratio, small enough to spread. */
export const GZIP_BLOCK = 4 * 1024 * 1024;

/**
 * Compresses `source` into `target` as a multi-member gzip file (RFC 1952 allows members to be
 * concatenated; gunzip, zlib, Python, Go, Java and DuckDB read them as one stream), compressing
 * fixed-size blocks in parallel on libuv's thread pool. DuckDB's own gzip is single-threaded.
 * Fixed block boundaries, level and a zero mtime make the output byte-identical on every run.
 * `source` is removed afterwards.
 */
export async function gzipFileParallel(source: string, target: string, level = 6): Promise<void> {
  const input = await open(source, 'r');
  const output = await open(target, 'w');
  try {
    const width = Math.max(2, availableParallelism());
    const pending: Promise<Buffer>[] = [];
    let position = 0;
    let done = false;
    const readBlock = async (): Promise<Buffer | undefined> => {
      const buffer = Buffer.allocUnsafe(GZIP_BLOCK);
      let filled = 0;
      while (filled < GZIP_BLOCK) {
        const { bytesRead } = await input.read(buffer, filled, GZIP_BLOCK - filled, position);
        if (bytesRead === 0) break;
        filled += bytesRead;
        position += bytesRead;
      }
      return filled === 0 ? undefined : buffer.subarray(0, filled);
    };
    for (;;) {
      while (!done && pending.length < width) {
        const block = await readBlock();
        if (block === undefined) done = true;
        else pending.push(gzipAsync(block, { level }));
      }
      const next = pending.shift();
      if (next === undefined) break;
      await output.write(await next);
    }
    if (position === 0) await output.write(await gzipAsync(Buffer.alloc(0), { level }));
  } finally {
    await input.close();
    await output.close();
  }
  await rm(source, { force: true });
}
