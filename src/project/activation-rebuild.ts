import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, inTransaction } from '../engine/engine.js';
import type { ActivationSnapshot, PendingSync, ResourceData } from '../state/index.js';
import { downloadChecked } from './checked-download.js';

/** What bringing one activation in line with the state loaded. */
export interface ActivationRefresh {
  snapshots: number;
  syncs: number;
  bytes: number;
}

const HINT =
  'the object was changed or replaced in the bucket after it was written; restore it (bucket versioning keeps earlier versions), or delete and recreate the activation to send every member again';

/**
 * Remote state: makes this warehouse's activation data for one activation what the state
 * records (docs/backends.md, "Activation snapshots"). Each audience whose delivered members are
 * not exactly the snapshot the state lists (a fresh or foreign warehouse, a fold-in the state
 * never recorded, an older or edited cache) is loaded from it; each pending sync the warehouse
 * does not hold as its unfinished sync is loaded from its batches; an unfinished sync the state
 * does not list as pending (frozen, then killed before anything was sent) is dropped. Every
 * download is checked before anything is loaded, and the loads run in one transaction.
 */
export async function refreshActivation(
  engine: Engine,
  options: { stagingDir: string; download(key: string, file: string): Promise<void> },
  activation: string,
  data: ResourceData,
): Promise<ActivationRefresh> {
  const done: ActivationRefresh = { snapshots: 0, syncs: 0, bytes: 0 };
  const snapshots = data.snapshots ?? {};
  const pending = data.pendingSyncs ?? {};
  if (Object.keys(snapshots).length === 0 && Object.keys(pending).length === 0) return done;
  const { ensureActivationTables } = await import('../engine/activation.js');
  const held = await import('../engine/activation-snapshots.js');
  await ensureActivationTables(engine);
  const stale = new Map<string, ActivationSnapshot>();
  for (const [audience, snapshot] of Object.entries(snapshots))
    if (!(await held.holdsSnapshot(engine, activation, audience, snapshot))) stale.set(audience, snapshot);
  const restore = new Map<string, PendingSync>();
  const drop: string[] = [];
  for (const audience of new Set([...Object.keys(snapshots), ...Object.keys(pending)])) {
    const p = pending[audience];
    const runIds = await held.unfinishedRunIdsOf(engine, activation, audience);
    if (p === undefined) {
      if (runIds.length > 0) drop.push(audience);
    } else if (stale.has(audience) || runIds.length !== 1 || runIds[0] !== p.runId) restore.set(audience, p);
  }
  if (stale.size === 0 && restore.size === 0 && drop.length === 0) return done;

  const dir = join(options.stagingDir, 'snapshots-load', activation);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const fetch = async (what: string, audience: string, object: { key: string; sha256: string }) => {
      const file = join(dir, `${audience}-${what}.parquet`);
      await downloadChecked(
        options.download,
        object,
        file,
        `activation ${what} ${object.key} of Activation/${activation} (audience ${audience})`,
        { hint: HINT, meta: { activation, audience, key: object.key } },
      );
      return file;
    };
    const snapshotFiles = new Map<string, string>();
    for (const [audience, s] of stale) snapshotFiles.set(audience, await fetch('snapshot', audience, s));
    const syncFiles = new Map<string, string>();
    for (const [audience, p] of restore) syncFiles.set(audience, await fetch('sync', audience, p));
    await inTransaction(engine, async () => {
      for (const [audience, s] of stale) {
        const key = { activation, audience, segment: s.segment };
        await held.loadSnapshotFile(engine, key, snapshotFiles.get(audience)!);
        await held.markSnapshotLoaded(engine, { activation, audience, key: s.key, sha256: s.sha256 });
        done.snapshots += 1;
        done.bytes += s.bytes;
      }
      for (const audience of drop) await held.dropUnfinishedSyncs(engine, activation, audience);
      for (const [audience, p] of restore) {
        await held.restoreSyncFile(
          engine,
          { activation, audience },
          {
            runId: p.runId,
            segment: p.segment,
            header: p.header,
            attributesHash: p.attributes,
            batchSize: p.batchSize,
            batchCount: p.batchCount,
            added: p.added,
            removed: p.removed,
          },
          syncFiles.get(audience)!,
        );
        done.syncs += 1;
        done.bytes += p.bytes;
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return done;
}
