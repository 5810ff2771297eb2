import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PublicationManifest } from '../../src/destinations/index.js';

/** An object as a store's listing shows it. */
export interface Listed {
  key: string;
  size: number;
  lastModified: number;
}

/** How a test reads an object store back: through the store's own SDK, not outflow. */
export interface StoreReader {
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<Listed[]>;
  bytes(key: string): Promise<Buffer>;
  /** sha256 and size of an object, streamed (see streamDigest). */
  digest(key: string): Promise<{ sha256: string; bytes: number }>;
  /** Checks a store makes on each published file besides its bytes (e.g. no uncommitted blocks). */
  checkFile?(key: string): Promise<void>;
  /** Every key under `prefix`, with those readers cannot see yet (e.g. uncommitted blobs). */
  listPending?(prefix: string): Promise<Listed[]>;
}

/** sha256 and size of a stream's bytes (150 MB never held in memory). */
export async function streamDigest(
  stream: AsyncIterable<unknown>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Every manifest under `prefix`, with its key. */
async function manifests(
  store: StoreReader,
  prefix: string,
): Promise<{ key: string; manifest: PublicationManifest }[]> {
  const keys = (await store.list(prefix)).filter((o) => o.key.includes('/_manifest-')).map((o) => o.key);
  return Promise.all(
    keys.map(async (key) => ({
      key,
      manifest: JSON.parse((await store.bytes(key)).toString('utf8')) as PublicationManifest,
    })),
  );
}

/**
 * Checks what a consumer relies on for an export published under the connection prefix `root`:
 * each manifest's files exist with its bytes and sha256, none was modified after the manifest,
 * each passes the store's own `checkFile`, and nothing else is there (no duplicate or stray
 * objects, not even pending ones where the store has `listPending`). Returns the manifests.
 */
export async function expectPublished(
  store: StoreReader,
  root: string,
  exportName: string,
): Promise<PublicationManifest[]> {
  const prefix = `${root}${exportName}/`;
  const objects = await store.list(prefix);
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const expected = new Set<string>();
  const found = await manifests(store, prefix);
  expect(found.length).toBeGreaterThan(0);
  for (const { key, manifest } of found) {
    expected.add(key);
    for (const f of manifest.files) {
      const fileKey = root + f.name;
      expected.add(fileKey);
      const stored = byKey.get(fileKey);
      expect(stored, `${fileKey} listed in ${key}`).toBeDefined();
      expect(await store.digest(fileKey), fileKey).toEqual({ sha256: f.sha256, bytes: f.bytes });
      expect(byKey.get(key)!.lastModified).toBeGreaterThanOrEqual(stored!.lastModified);
      await store.checkFile?.(fileKey);
    }
  }
  expect(objects.map((o) => o.key).sort()).toEqual([...expected].sort());
  if (store.listPending !== undefined)
    expect((await store.listPending(prefix)).map((o) => o.key).sort()).toEqual([...expected].sort());
  return found.map((m) => m.manifest);
}

/** The ids (first csv column) of every data row of every file the manifests list, sorted. */
export async function publishedIds(
  store: StoreReader,
  root: string,
  found: PublicationManifest[],
): Promise<number[]> {
  const ids: number[] = [];
  for (const m of found)
    for (const f of m.files) {
      const lines = (await store.bytes(root + f.name)).toString('utf8').trimEnd().split('\n').slice(1);
      expect(lines.length).toBe(f.rows);
      for (const line of lines) ids.push(Number(line.slice(0, line.indexOf(','))));
    }
  return ids.sort((a, b) => a - b);
}

/**
 * Every file a manifest of `exportName` lists in the project's local destination (`out/`,
 * manifests in out/<export>/<run>/), with its data lines (the header left out).
 */
export function localPublishedFiles(
  dir: string,
  exportName: string,
): { file: { name: string; rows: number }; lines: string[] }[] {
  const root = join(dir, 'out', exportName);
  const out: { file: { name: string; rows: number }; lines: string[] }[] = [];
  if (!existsSync(root)) return out;
  for (const run of readdirSync(root))
    for (const m of readdirSync(join(root, run)).filter((n) => n.startsWith('_manifest-'))) {
      const manifest = JSON.parse(readFileSync(join(root, run, m), 'utf8')) as PublicationManifest;
      for (const file of manifest.files) {
        const lines = readFileSync(join(dir, 'out', file.name), 'utf8')
          .trimEnd()
          .split('\n')
          .slice(1);
        out.push({ file, lines });
      }
    }
  return out;
}

/**
 * Lists the keys under `prefix` every 100 ms while `running` runs: what a reader could see
 * meanwhile. Returns `running`'s result and the listings.
 */
export async function listWhile<T>(
  store: StoreReader,
  prefix: string,
  running: Promise<T>,
): Promise<{ result: T; listings: string[][] }> {
  const listings: string[][] = [];
  let done = false;
  void running.finally(() => {
    done = true;
  });
  while (!done) {
    listings.push((await store.list(prefix)).map((o) => o.key));
    await new Promise((r) => setTimeout(r, 100));
  }
  return { result: await running, listings };
}

/** No listing (of several) shows a manifest without every file of `fileKeys`: the manifest came last. */
export function expectManifestLast(listings: string[][], fileKeys: string[]): void {
  for (const snap of listings.filter((s) => s.some((k) => k.includes('/_manifest-'))))
    expect(fileKeys.filter((k) => !snap.includes(k))).toEqual([]);
  expect(listings.length).toBeGreaterThan(1);
}
