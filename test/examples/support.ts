import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import type { Bucket } from '@google-cloud/storage';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PublicationManifest } from '../../src/destinations/index.js';
import { type CliResult, runCli } from '../support/cli.js';

/**
 * Shared by test/examples/*.test.ts: each example project is copied to a temp folder, pointed
 * at local servers (started once per test file, stopped by PID) in the least intrusive way, and
 * applied; what it published is then read back through the store's own SDK and checked against
 * its manifests.
 */
export const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
export const NOW = '2026-11-20T12:00:00Z';

/** The example projects: folders under examples/ with an outflow.yaml. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(EXAMPLES, e.name, 'outflow.yaml')))
    .map((e) => e.name)
    .sort();
}

/** Temp folders of one test file, removed by `cleanup()` (afterAll). */
export function scratch(): { copy(name: string): string; cleanup(): void } {
  const made: string[] = [];
  return {
    /** A copy of examples/NAME without anything a local run left behind (out/, .outflow/, secrets/). */
    copy(name: string): string {
      const dir = join(mkdtempSync(join(tmpdir(), `outflow-example-${name}-`)), name);
      made.push(dirname(dir));
      const from = join(EXAMPLES, name);
      cpSync(from, dir, {
        recursive: true,
        filter: (src) => !['out', '.outflow', 'secrets'].includes(relative(from, src).split(sep)[0]!),
      });
      return dir;
    },
    cleanup(): void {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The Connection resources of a project (flows/*.yaml), by name, as written. */
export function connectionsOf(dir: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const file of readdirSync(join(dir, 'flows')).filter((f) => /\.ya?ml$/.test(f)))
    for (const doc of parseAllDocuments(readFileSync(join(dir, 'flows', file), 'utf8'))) {
      const r = doc.toJS() as Record<string, unknown> | null;
      if (r?.kind === 'Connection') out[String(r.name)] = r;
    }
  return out;
}

/** A field of a connection that must be a string (bucket, container, prefix, root). */
export function field(connection: Record<string, unknown> | undefined, name: string): string {
  const v = connection?.[name];
  if (typeof v !== 'string') throw new Error(`connection ${String(connection?.name)} has no ${name}`);
  return v;
}

/**
 * Adds `lines` to the YAML document of Connection `name` in the project's flows/ (the one change
 * a user makes to try a connection against a local server, e.g. `endpoint:` for s3rver).
 */
export function addToConnection(dir: string, name: string, lines: string): void {
  for (const file of readdirSync(join(dir, 'flows')).filter((f) => /\.ya?ml$/.test(f))) {
    const path = join(dir, 'flows', file);
    const docs = readFileSync(path, 'utf8').split(/^---[ \t]*$/m);
    const i = docs.findIndex(
      (d) => /^kind: Connection$/m.test(d) && new RegExp(`^name: ${name}$`, 'm').test(d),
    );
    if (i === -1) continue;
    docs[i] = `${docs[i]!.trimEnd()}\n${lines.trimEnd()}\n`;
    writeFileSync(path, docs.join('---'));
    return;
  }
  throw new Error(`no Connection ${name} under ${dir}/flows`);
}

/** The CLI in-process, as CI runs it, with exactly `env` as its environment. */
export async function cli(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['-C', dir, ...args], { env: { CI: 'true', ...env } });
}

export const output = (r: CliResult): string => `${r.stdout}\n${r.stderr}`;

// ---------- the stores, read through their own SDKs ----------

/** A connection's root (its folder, bucket prefix or container prefix), read as a consumer would. */
export interface Store {
  /** Where, for messages: `s3://bucket/prefix/`. */
  where: string;
  /** Every key under the root, relative to it. */
  list(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
}

const withSlash = (prefix: string): string => {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
};

export function localStore(root: string): Store {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
        )
      : [];
  return {
    where: root,
    list: async () =>
      walk(root)
        .map((p) => relative(root, p).split(sep).join('/'))
        .sort(),
    read: async (key) => readFileSync(join(root, key)),
  };
}

export function s3Store(client: S3Client, bucket: string, prefix = ''): Store {
  const base = withSlash(prefix);
  return {
    where: `s3://${bucket}/${base}`,
    list: async () => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: base, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) keys.push(o.Key!.slice(base.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    read: async (key) => {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: base + key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
  };
}

/** Uploads every file under `from` to `bucket` at `prefix` + its relative path (`aws s3 sync`). */
export async function s3Upload(
  client: S3Client,
  bucket: string,
  prefix: string,
  from: string,
): Promise<string[]> {
  const keys: string[] = [];
  for (const rel of await localStore(from).list()) {
    const key = withSlash(prefix) + rel;
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(from, rel)) }),
    );
    keys.push(key);
  }
  return keys;
}

export function gcsStore(bucket: Bucket, prefix = ''): Store {
  const base = withSlash(prefix);
  return {
    where: `gs://${bucket.name}/${base}`,
    list: async () => {
      const [files] = await bucket.getFiles({ prefix: base });
      return files.map((f) => f.name.slice(base.length)).sort();
    },
    read: async (key) => {
      const chunks: Buffer[] = [];
      for await (const c of bucket.file(base + key).createReadStream()) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

export function azureStore(container: ContainerClient, prefix = ''): Store {
  const base = withSlash(prefix);
  return {
    where: `${container.url}/${base}`,
    list: async () => {
      const keys: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix: base })) keys.push(b.name.slice(base.length));
      return keys.sort();
    },
    read: async (key) => {
      const res = await container.getBlockBlobClient(base + key).download();
      const chunks: Buffer[] = [];
      for await (const c of res.readableStreamBody as Readable) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

// ---------- what a consumer checks ----------

/** Rows in a text file, counted independently of outflow. */
function countRows(format: string, text: string): number {
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

export interface Published {
  key: string;
  manifest: PublicationManifest;
}

/**
 * Everything under a connection's root, as a consumer reads it: at least one manifest; every file
 * a manifest lists is there with its bytes, sha256 and rows (counted here for text formats; the
 * magic bytes for Parquet); the totals add up; and nothing else is there (no partial or stray
 * object). Returns the manifests.
 */
export async function expectPublished(store: Store): Promise<Published[]> {
  const keys = await store.list();
  const manifests: Published[] = [];
  for (const key of keys.filter((k) => /(^|\/)_manifest-[^/]+\.json$/.test(k))) {
    const parsed = JSON.parse((await store.read(key)).toString('utf8')) as Partial<PublicationManifest>;
    if (parsed.manifestVersion !== undefined)
      manifests.push({ key, manifest: parsed as PublicationManifest });
  }
  expect(manifests.length, `no manifest under ${store.where}`).toBeGreaterThan(0);
  const listed = new Set(manifests.map((m) => m.key));
  for (const { key, manifest } of manifests) {
    const where = `${store.where}${key}`;
    expect(manifest.files.length, where).toBeGreaterThan(0);
    let rows = 0;
    let bytes = 0;
    for (const file of manifest.files) {
      listed.add(file.name);
      expect(keys, `${where}: ${file.name} is missing`).toContain(file.name);
      const content = await store.read(file.name);
      expect(content.length, `${where}: ${file.name} bytes`).toBe(file.bytes);
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
  expect(
    keys.filter((k) => !listed.has(k)),
    `objects under ${store.where} that no manifest lists`,
  ).toEqual([]);
  return manifests;
}

/** Rows published per export, from the manifests: `{export: rows}`. */
export function rowsByExport(published: Published[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { manifest } of published) out[manifest.export] = (out[manifest.export] ?? 0) + manifest.rows;
  return out;
}
