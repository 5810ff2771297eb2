import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runExport } from '../../src/apply/export-step.js';
import type { ApplyProgress } from '../../src/apply/index.js';
import type { StepContext } from '../../src/apply/step-context.js';
import type { Destination, PublicationManifest } from '../../src/destinations/index.js';
import { LocalDestination } from '../../src/destinations/index.js';
import { ingestFiles, openEngine } from '../../src/engine/index.js';
import type { ExportRunAction } from '../../src/plan/index.js';
import { projectLayout } from '../../src/project/layout.js';
import { emptyState } from '../../src/state/index.js';
import { exportOf, modelOf, users } from '../support/model.js';
import { syncedInodes } from '../support/synced-files.js';

// An export to a local folder fsyncs its staged file while hashing it (the folder's hard link
// is the same inode, so its own fsync is then cheap); one to a store that uploads the file and
// deletes it does not. Either way the manifest's sha256 is that of the published bytes.
const now = new Date('2026-11-20T12:00:00.000Z');
const quiet: ApplyProgress = { start() {}, succeed() {}, fail() {}, warn() {} };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Runs the export `buyers` of 300 users to a connection of `connection`'s type, in a draft. */
async function exportTo(connection: Record<string, unknown>, store?: Destination) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'outflow-export-sync-')));
  roots.push(root);
  const model = modelOf({ kind: 'Connection', name: 'out', ...connection }, users(), exportOf());
  const layout = projectLayout(root);
  mkdirSync(join(root, 'data'), { recursive: true });
  const csv = join(root, 'data', 'users.csv');
  const lines = Array.from({ length: 300 }, (_, i) => `${i + 1},u${i + 1}@example.com,FR`);
  writeFileSync(csv, ['id,email,country', ...lines, ''].join('\n'));
  const engine = await openEngine({
    database: ':memory:',
    allowedDirectories: [join(root, 'data'), layout.stagingDir, layout.rejectsDir],
  });
  try {
    await ingestFiles(
      engine,
      model.resources.Dataflow.get('users')!,
      [{ path: csv, sha256: sha(readFileSync(csv)) }],
      {
        firstSeq: 1,
        rejectDir: layout.rejectDir('users'),
      },
    );
    const destination = store ?? new LocalDestination(join(root, 'out'), root, 'out');
    const ctx: StepContext = {
      input: {
        root,
        model,
        plan: { formatVersion: 2 } as never,
        state: emptyState(now, 't'),
        backend: undefined,
        now,
        version: 't',
        streamFiles: {},
        progress: quiet,
      },
      layout,
      clock: () => now,
      engine: async () => engine,
      // The export reads the rows up to the dataflow's ingestSeq.
      data: (address) => (address === 'Dataflow/users' ? { ingestSeq: 300 } : {}),
      record: async () => undefined,
      destination: async () => destination,
      webhook: async () => {
        throw new Error('no webhook');
      },
      transferReporter: () => () => undefined,
    };
    const action: ExportRunAction = {
      type: 'export',
      address: 'Export/buyers',
      runId: 'r1',
      mode: 'full',
      window: { to: now.toISOString() },
      reason: { code: 'retry-pending-run', runId: 'r1' },
    };
    const { inodes } = await syncedInodes(() => runExport(ctx, action));
    return { root, inodes };
  } finally {
    await engine.close();
  }
}

describe('export: the staged file is synced early only for a local destination', () => {
  it('local: the published file is fsynced while hashed and again when published', async () => {
    const { root, inodes } = await exportTo({ type: 'local', root: 'out' });
    const folder = join(root, 'out', '_draft', 'buyers', 'r1');
    const manifest = JSON.parse(
      readFileSync(join(folder, '_manifest-r1.json'), 'utf8'),
    ) as PublicationManifest;
    expect(manifest.files).toHaveLength(1);
    const published = join(root, 'out', '_draft', manifest.files[0]!.name);
    expect(manifest.files[0]!.sha256).toBe(sha(readFileSync(published)));
    expect(inodes.filter((i) => i === statSync(published).ino)).toHaveLength(2);
  });

  it('a remote store: nothing is fsynced, the manifest has the uploaded bytes’ sha256', async () => {
    const objects = new Map<string, Buffer>();
    const store: Destination = {
      describe: (key) => `s3://b/${key}`,
      put: async (key, file) => {
        objects.set(key, readFileSync(file));
      },
      get: async (key) => objects.get(key),
      download: async () => undefined,
      list: async () => [],
      delete: async () => undefined,
      close: async () => undefined,
    };
    const { inodes } = await exportTo({ type: 's3', bucket: 'b', region: 'eu-west-1' }, store);
    expect(inodes).toEqual([]);
    const manifest = JSON.parse(
      objects.get('_draft/buyers/r1/_manifest-r1.json')!.toString(),
    ) as PublicationManifest;
    expect(manifest.files).toHaveLength(1);
    expect(manifest.files[0]!.sha256).toBe(sha(objects.get(`_draft/${manifest.files[0]!.name}`)!));
  });
});
