import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDestination, type PublicationManifest, publishRun } from '../../src/destinations/index.js';

function staging(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-stage-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

function manifestFor(files: Record<string, string>): PublicationManifest {
  const entries = Object.entries(files).map(([name, c]) => ({
    name,
    rows: c.split('\n').length - 1,
    bytes: Buffer.byteLength(c),
    sha256: createHash('sha256').update(c).digest('hex'),
  }));
  return {
    manifestVersion: 1,
    export: 'e',
    runId: 'r1',
    window: { to: '2026-11-20T00:00:00Z' },
    format: 'csv',
    compression: 'none',
    mode: 'full',
    createdAt: '2026-11-20T00:00:00Z',
    rows: 0,
    bytes: 0,
    files: entries,
  };
}

describe('local destination and publication', () => {
  it('publishes data files, then the manifest, leaving no temp files', async () => {
    const files = { 'e/r1/e-00001.csv': 'a\n1\n', 'e/r1/e-00002.csv': 'a\n2\n' };
    const root = mkdtempSync(join(tmpdir(), 'outflow-dest-'));
    const published = await publishRun(new LocalDestination(root), staging(files), manifestFor(files), {
      directory: 'e/r1',
    });
    expect(published).toEqual({ manifest: 'e/r1/_manifest-r1.json', directory: 'e/r1' });
    const key = published.manifest;
    expect(readdirSync(join(root, 'e', 'r1')).sort()).toEqual([
      '_manifest-r1.json',
      'e-00001.csv',
      'e-00002.csv',
    ]);
    const manifest = JSON.parse(readFileSync(join(root, key), 'utf8')) as PublicationManifest;
    for (const f of manifest.files) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(root, f.name)))
          .digest('hex'),
      ).toBe(f.sha256);
    }
  });

  it('a retried run overwrites its own files instead of duplicating them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'outflow-dest-'));
    const dest = new LocalDestination(root);
    await publishRun(
      dest,
      staging({ 'e/r1/e-00001.csv': 'partial' }),
      manifestFor({ 'e/r1/e-00001.csv': 'partial' }),
      { directory: 'e/r1' },
    );
    const files = { 'e/r1/e-00001.csv': 'a\n1\n' };
    await publishRun(dest, staging(files), manifestFor(files), { directory: 'e/r1' });
    expect(readdirSync(join(root, 'e', 'r1')).sort()).toEqual(['_manifest-r1.json', 'e-00001.csv']);
    expect(readFileSync(join(root, 'e/r1/e-00001.csv'), 'utf8')).toBe('a\n1\n');
  });

  it('an empty run puts its manifest in the run folder the template gives, not elsewhere', async () => {
    const root = mkdtempSync(join(tmpdir(), 'outflow-dest-'));
    const published = await publishRun(new LocalDestination(root), staging({}), manifestFor({}), {
      directory: 'e/exportTime=202611201200',
    });
    expect(published.manifest).toBe('e/exportTime=202611201200/_manifest-r1.json');
    expect(readdirSync(join(root, 'e', 'exportTime=202611201200'))).toEqual(['_manifest-r1.json']);
  });

  it('with manifest: false publishes the data files only', async () => {
    const files = { 'e/r1/e-00001.csv': 'a\n1\n', 'e/r1/e-00002.csv': 'a\n2\n' };
    const root = mkdtempSync(join(tmpdir(), 'outflow-dest-'));
    const published = await publishRun(new LocalDestination(root), staging(files), manifestFor(files), {
      prefix: '_draft',
      directory: 'e/r1',
      manifest: false,
    });
    expect(published).toEqual({ manifest: '', directory: '_draft/e/r1' });
    expect(readdirSync(join(root, '_draft', 'e', 'r1')).sort()).toEqual(['e-00001.csv', 'e-00002.csv']);
  });

  it('refuses keys that escape the root', async () => {
    const dest = new LocalDestination(mkdtempSync(join(tmpdir(), 'outflow-dest-')));
    await expect(dest.put('../x', '/dev/null')).rejects.toThrow(/outside/);
  });
});
