import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GZIP_BLOCK, gzipFileParallel } from '../../src/engine/parallel-gzip.js';
import { type Sandbox, sandbox, sha256 } from './data-support.js';

let box: Sandbox;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.close();
});

it('writes a multi-member gzip file that gunzip and DuckDB read whole, byte-identically per run', async () => {
  const lines = ['id,text'];
  for (let i = 0; i < 250_000; i++) lines.push(`${i},"row ${i} ü, ""quoted"""`);
  const text = `${lines.join('\n')}\n`;
  expect(Buffer.byteLength(text)).toBeGreaterThan(2 * GZIP_BLOCK);
  const outputs: string[] = [];
  for (const run of [1, 2]) {
    const plain = path.join(box.staging, `p${run}.csv`);
    const target = path.join(box.staging, `p${run}.csv.gz`);
    writeFileSync(plain, text);
    await gzipFileParallel(plain, target);
    expect(existsSync(plain)).toBe(false);
    expect(gunzipSync(readFileSync(target)).toString('utf8')).toBe(text);
    outputs.push(sha256(target));
  }
  expect(outputs[0]).toBe(outputs[1]);
  const [row] = await box.engine.all('SELECT count(*) AS n, max(id) AS top FROM read_csv($1)', [
    path.join(box.staging, 'p1.csv.gz'),
  ]);
  expect(row).toEqual({ n: 250_000, top: 249_999 });
});

it('compresses an empty file to a valid empty gzip file', async () => {
  const plain = path.join(box.staging, 'empty.csv');
  writeFileSync(plain, '');
  await gzipFileParallel(plain, `${plain}.gz`);
  expect(gunzipSync(readFileSync(`${plain}.gz`)).length).toBe(0);
});
