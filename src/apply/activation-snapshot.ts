import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { prefixedKey } from '../destinations/credentials.js';
import type { FrozenSync, MembershipKey } from '../engine/activation.js';
import type { Engine } from '../engine/index.js';
import type { ActivationSnapshot, PendingSync } from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import { putStateObject, type StepContext } from './step-context.js';

/** The object key of an activation snapshot below the state prefix, as the state records it. */
export function snapshotKey(activation: string, audience: string, runId: string): string {
  return `warehouse/_activations/${activation}/${audience}/${runId}.parquet`;
}

/** The object key of a pending sync's batches below the state prefix (outside `warehouse/`). */
export function pendingSyncKey(activation: string, audience: string, runId: string): string {
  return `syncs/${activation}/${audience}/${runId}.parquet`;
}

/**
 * Remote state: a sync is frozen, none of it sent yet. Writes its batches (op, id, in order) as
 * one Parquet object and uploads it through the state's connection; returns the entry the state
 * records before the first batch goes out.
 */
export async function uploadPendingSync(
  ctx: StepContext,
  engine: Engine,
  key: Pick<MembershipKey, 'activation' | 'audience'>,
  sync: FrozenSync,
): Promise<PendingSync> {
  const { writeSyncFile } = await import('../engine/activation-snapshots.js');
  const dir = join(ctx.layout.stagingDir, 'snapshots', key.activation);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const local = join(dir, `${key.audience}-pending.parquet`);
    await writeSyncFile(engine, sync.runId, local);
    const objectKey = pendingSyncKey(key.activation, key.audience, sync.runId);
    const { bytes: size, sha256 } = await putStateObject(
      ctx,
      `sync Activation/${key.activation}`,
      objectKey,
      local,
    );
    return {
      key: objectKey,
      runId: sync.runId,
      segment: sync.segment,
      header: sync.header,
      attributes: sync.attributesHash,
      batchSize: sync.batchSize,
      batchCount: sync.batchCount,
      added: sync.added,
      removed: sync.removed,
      bytes: size,
      sha256,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * After the state recorded an activation's syncs: deletes the objects under
 * `syncs/<activation>/` that the state no longer lists as pending (finished syncs, and any a kill
 * left between an upload and the state write). Best effort: a leftover is never read again.
 */
export async function removeSettledSyncObjects(ctx: StepContext, activation: string): Promise<void> {
  const target = ctx.input.segments!;
  const listed = new Set(
    Object.values(ctx.data(`Activation/${activation}`).pendingSyncs ?? {}).map((p) =>
      prefixedKey(target.prefix, p.key),
    ),
  );
  try {
    const destination = await ctx.destination(target.connection);
    const folder = prefixedKey(target.prefix, `syncs/${activation}/`);
    for (const o of await destination.list(folder)) if (!listed.has(o.key)) await destination.delete(o.key);
  } catch {
    // The next sync of this activation tries again.
  }
}

/**
 * Remote state: after sync `runId` is folded into the warehouse, writes the segment's delivered
 * members as one Parquet object, uploads it through the state's connection and marks it as what
 * this warehouse holds; returns the entry for the state to record with the sync. A sync that
 * changed nothing, to the segment the previous snapshot holds, keeps that snapshot (no upload).
 */
export async function uploadActivationSnapshot(
  ctx: StepContext,
  engine: Engine,
  key: MembershipKey,
  sync: { runId: string; changed: boolean },
  previous: ActivationSnapshot | undefined,
): Promise<ActivationSnapshot> {
  if (!sync.changed && previous !== undefined && previous.segment === key.segment) return previous;
  const { writeSnapshotFile, markSnapshotLoaded } = await import('../engine/activation-snapshots.js');
  const dir = join(ctx.layout.stagingDir, 'snapshots', key.activation);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const local = join(dir, `${key.audience}.parquet`);
    const rows = await writeSnapshotFile(engine, key, local);
    const objectKey = snapshotKey(key.activation, key.audience, sync.runId);
    const { bytes: size, sha256 } = await putStateObject(
      ctx,
      `sync Activation/${key.activation}`,
      objectKey,
      local,
    );
    await markSnapshotLoaded(engine, {
      activation: key.activation,
      audience: key.audience,
      key: objectKey,
      sha256,
    });
    crashPoint('activation.snapshot-uploaded');
    return { key: objectKey, runId: sync.runId, segment: key.segment, rows, bytes: size, sha256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
