import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

/**
 * Every project under examples/ (a folder with an outflow.yaml) validates and applies in a
 * copy, and the files its manifests list are there with the stated sha256, bytes and rows.
 */
const EXAMPLES = join(import.meta.dirname, '..', 'examples');
const NOW = '2026-11-20T12:00:00Z';

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(EXAMPLES, e.name, 'outflow.yaml')))
  .map((e) => e.name)
  .sort();

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

interface ManifestFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}
interface Manifest {
  manifestVersion: number;
  export: string;
  runId: string;
  format: 'parquet' | 'csv' | 'json' | 'ndjson' | 'xml';
  compression: 'none' | 'gzip' | 'zstd' | 'snappy';
  rows: number;
  bytes: number;
  files: ManifestFile[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** The manifests under out/: JSON files that carry a manifestVersion. */
function manifestsUnder(out: string): { path: string; manifest: Manifest }[] {
  if (!existsSync(out)) return [];
  return walk(out)
    .filter((p) => basename(p).endsWith('.json'))
    .flatMap((path) => {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
      return parsed.manifestVersion === undefined ? [] : [{ path, manifest: parsed as Manifest }];
    });
}

/**
 * File names in a manifest are relative to the destination's root, which is the manifest's
 * folder or one of its ancestors up to out/: the nearest one where the first file exists.
 */
function destinationRoot(manifestPath: string, out: string, first: string): string {
  for (let dir = dirname(manifestPath); ; dir = dirname(dir)) {
    if (existsSync(join(dir, first))) return dir;
    if (dir === out || !dir.startsWith(out + sep)) throw new Error(`${first} not found for ${manifestPath}`);
  }
}

/** Rows in a text file, counted independently of outflow. */
function countRows(format: Manifest['format'], text: string): number {
  const lines = text.split('\n').filter((l) => l.length > 0);
  // layout: clevertap — the first line is the event name (not JSON), then one object per line.
  if ((format === 'json' || format === 'ndjson') && !/^[[{]/.test(lines[0] ?? '')) return lines.length - 1;
  switch (format) {
    case 'csv':
      return lines.length - 1; // header
    case 'ndjson':
      return lines.length;
    case 'json':
      return (JSON.parse(text) as unknown[]).length;
    case 'xml':
      return lines.filter((l) => /^\s*<(Event|record)>$/.test(l)).length;
    default:
      throw new Error(`no row count for ${format}`);
  }
}

describe('examples', () => {
  it('has the example projects', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['adobe-dataset', 'clevertap-events', 'dynamics-segments', 'ibexa-users']),
    );
  });

  it.each(examples)('%s validates, applies and publishes what its manifests state', async (name) => {
    const dir = join(mkdtempSync(join(tmpdir(), `outflow-example-${name}-`)), name);
    temps.push(dirname(dir));
    // A copy without anything a local run of the example left behind.
    cpSync(join(EXAMPLES, name), dir, {
      recursive: true,
      filter: (src) => {
        const top = relative(join(EXAMPLES, name), src).split(sep)[0];
        return top !== 'out' && top !== '.outflow';
      },
    });

    const validate = await runCli(['-C', dir, 'validate']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW], { env: { CI: 'true' } });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    const out = join(dir, 'out');
    const manifests = manifestsUnder(out);
    expect(manifests.length, `no manifest under ${out}`).toBeGreaterThan(0);

    for (const { path, manifest } of manifests) {
      const where = relative(dir, path);
      expect(manifest.files.length, where).toBeGreaterThan(0);
      const root = destinationRoot(path, out, manifest.files[0]!.name);
      let rows = 0;
      let bytes = 0;
      for (const file of manifest.files) {
        const at = join(root, file.name);
        expect(existsSync(at), `${where}: ${file.name} is missing`).toBe(true);
        const content = readFileSync(at);
        expect(statSync(at).size, `${where}: ${file.name} bytes`).toBe(file.bytes);
        expect(createHash('sha256').update(content).digest('hex'), `${where}: ${file.name} sha256`).toBe(
          file.sha256,
        );
        expect(file.rows, `${where}: ${file.name} rows`).toBeGreaterThan(0);
        if (manifest.format === 'parquet') {
          // Parquet: the manifest's rows and size (checked above), and the format's magic bytes.
          expect(content.subarray(0, 4).toString('latin1'), file.name).toBe('PAR1');
          expect(content.subarray(-4).toString('latin1'), file.name).toBe('PAR1');
        } else if (manifest.compression === 'none' || manifest.compression === 'gzip') {
          const text = (manifest.compression === 'gzip' ? gunzipSync(content) : content).toString('utf8');
          expect(countRows(manifest.format, text), `${where}: ${file.name} rows`).toBe(file.rows);
        }
        rows += file.rows;
        bytes += file.bytes;
      }
      expect(rows, `${where}: total rows`).toBe(manifest.rows);
      expect(bytes, `${where}: total bytes`).toBe(manifest.bytes);
    }
  });
});
