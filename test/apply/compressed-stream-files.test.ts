import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const FLOWS = `kind: Connection
name: out
type: local
root: out
---
kind: Dataflow
name: users
entity: user
source: {type: streamFile, path: data/users/*.csv.gz, format: csv}
schema:
  name: customers
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id, mandatory: true}
    - {name: email, type: string}
---
kind: Export
name: users_out
type: dataOut
from: {dataflow: users}
destination: out
format: csv
mode: incremental
schedule: {every: 1h}
`;

/** gzip of `head + rest`, and where the bytes that decode to exactly `head` end (a sync flush). */
async function gzipWithCutAfter(head: string, rest: string): Promise<{ whole: Buffer; cut: number }> {
  const gz = createGzip();
  const chunks: Buffer[] = [];
  gz.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  gz.write(head);
  await new Promise<void>((resolve) => gz.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  const cut = Buffer.concat(chunks).length;
  gz.end(rest);
  await ended;
  return { whole: Buffer.concat(chunks), cut };
}

function exportedIds(dir: string): number[] {
  const root = join(dir, 'out');
  const manifests: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.includes('_manifest-')) manifests.push(join(d, e.name));
    }
  };
  if (existsSync(root)) walk(root);
  return manifests.flatMap((m) =>
    (JSON.parse(readFileSync(m, 'utf8')) as { files: { name: string }[] }).files.flatMap((f) =>
      readFileSync(join(root, f.name), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => Number(line.split(',')[0])),
    ),
  );
}

describe('a compressed stream file cut short in transit', () => {
  it('is refused whole (exit 1, nothing recorded); the complete file is then ingested and exported once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outflow-gz-'));
    mkdirSync(join(dir, 'flows'));
    mkdirSync(join(dir, 'data', 'users'), { recursive: true });
    writeFileSync(join(dir, 'outflow.yaml'), 'kind: Project\nname: p\n');
    writeFileSync(join(dir, 'flows', 'flows.yaml'), FLOWS);
    const rest = Array.from({ length: 40 }, (_, i) => `${i + 2},u${i + 2}@example.com\n`).join('');
    const { whole, cut } = await gzipWithCutAfter('id,email\n1,u1@example.com\n', rest);
    const file = join(dir, 'data', 'users', 'users-001.csv.gz');

    // The delivery stopped right after the first row: DuckDB alone would read that row and stop.
    writeFileSync(file, whole.subarray(0, cut));
    const first = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', '2026-11-20T12:00:00Z']);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toContain(
      'error[ingest-corrupt-file]: stream file data/users/users-001.csv.gz is truncated or corrupt (gzip: unexpected end of file); outflow did not ingest it',
    );
    expect(first.stderr).toContain('hint: re-deliver the complete file');
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(state.resources['Dataflow/users'].data?.ingestedFiles ?? []).toEqual([]);
    expect(state.resources['Dataflow/users'].data?.ingestSeq ?? 0).toBe(0);
    expect(exportedIds(dir)).toEqual([]);

    // The complete file arrives under the same name: every row is ingested and exported once.
    writeFileSync(file, whole);
    const second = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', '2026-11-20T13:00:00Z']);
    expect(second.code, second.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(after.resources['Dataflow/users'].data.ingestedFiles).toMatchObject([
      { path: 'data/users/users-001.csv.gz', size: whole.length, rows: 41 },
    ]);
    expect(exportedIds(dir).sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });
});
