import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { WebhookSender } from '../activations/client.js';
import { audienceSyncSpec } from '../activations/spec.js';
import { batchBody, type SyncHeader, webhookId } from '../activations/wire.js';
import { errorCode, errorMessage, OutflowError } from '../diagnostics/index.js';
import type { FrozenSync } from '../engine/activation.js';
import type { Engine } from '../engine/index.js';
import type { ActivationSyncAction } from '../plan/index.js';
import type { ActivationSnapshot, AudienceSync, ExportRun, SyncMark } from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import {
  removeSettledSyncObjects,
  uploadActivationSnapshot,
  uploadPendingSync,
} from './activation-snapshot.js';
import { nameOf, type StepContext } from './step-context.js';
import { SyncJournal } from './sync-journal.js';

/** How many members one read of batches renders (memory stays flat in the member count). */
const MEMBERS_PER_READ = 50_000;

/** How much of the first batch a draft prints. */
const DRAFT_PREVIEW_CHARS = 600;

/**
 * Syncs one activation: for each audience, first finishes a sync that a crash or a failure left
 * (the same batches, the same webhook-ids), then freezes the diff between the audience and what
 * the segment was sent into numbered batches and delivers them in order, recording each accepted
 * batch in the warehouse. The segment's delivered members change only when all of a sync's
 * batches are accepted. A draft freezes the diff in its in-memory warehouse and sends nothing.
 */
export async function runActivationSync(ctx: StepContext, a: ActivationSyncAction): Promise<string> {
  const name = nameOf(a.address);
  const act = ctx.input.model.resources.Activation.get(name)!;
  const conn = ctx.input.model.resources.Connection.get(act.config.destination)!;
  const draft = ctx.input.backend === undefined;
  const label = `sync ${a.address}`;
  const startedAt = ctx.clock().toISOString();
  const {
    batchLists,
    ensureActivationTables,
    finishSync,
    freezeSync,
    segmentSize,
    unfinishedRunIds,
    unfinishedSync,
  } = await import('../engine/activation.js');
  const journalDir = join(ctx.layout.outflowDir, 'syncs');
  let engine!: Engine;
  let sender!: WebhookSender;
  const batchSize = conn.config.type === 'webhook' ? conn.config.batchSize : 500;
  const concurrency = conn.config.type === 'webhook' ? conn.config.concurrency : 1;
  const done: AudienceSync[] = [];
  const marks: Record<string, SyncMark> = {};
  // Remote state: each finished sync's delivered members travel as a snapshot the state lists,
  // and each sync is recorded as pending (its batches uploaded) before its first batch is sent.
  const remote = !draft && ctx.input.segments !== undefined;
  const snapshots: Record<string, ActivationSnapshot> = {};
  const previous = ctx.data(a.address).snapshots ?? {};
  let pendingRecorded = Object.keys(ctx.data(a.address).pendingSyncs ?? {}).length > 0;
  let current: AudienceSync | undefined;
  let bytes = 0;
  const lines: string[] = [];

  /** Sends the sync's undelivered batches in order, then folds it into the segment's members. */
  const deliver = async (audience: string, sync: FrozenSync): Promise<AudienceSync> => {
    const header = JSON.parse(sync.header) as SyncHeader;
    const journal = draft ? undefined : SyncJournal.open(journalDir, sync.runId);
    const summary: AudienceSync = {
      audience,
      segment: header.segment.name,
      runId: sync.runId,
      added: sync.added,
      removed: sync.removed,
      batches: sync.batchCount,
      delivered: journal?.delivered ?? 0,
    };
    current = summary;
    try {
      const attributes = JSON.stringify(header.attributes);
      const perRead = Math.max(1, Math.floor(MEMBERS_PER_READ / batchSize));
      const read = (from: number) =>
        batchLists(engine, sync, from, Math.min(sync.batchCount, from + perRead - 1), attributes);
      // Up to `concurrency` batches in flight; the next batches are read while these are sent.
      const limit = pLimit(concurrency);
      const inFlight = new Set<Promise<void>>();
      let failure: { error: unknown } | undefined;
      if (journal === undefined) {
        // A draft sends nothing: it shows the first batch.
        if (sync.batchCount > 0) {
          const first = (await batchLists(engine, sync, 1, 1, attributes)).get(1) ?? {
            added: '',
            removed: '',
          };
          const body = batchBody(header, 1, sync.batchCount, first);
          lines.push(
            `  would POST ${sender.describe()} ${inBatches(sync.batchCount)}; batch 1: ${body.length > DRAFT_PREVIEW_CHARS ? `${body.slice(0, DRAFT_PREVIEW_CHARS)}…` : body}`,
          );
        }
        return summary;
      }
      let next = sync.batchCount > 0 ? read(1) : undefined;
      for (let from = 1; from <= sync.batchCount && failure === undefined; from += perRead) {
        const lists = await next!;
        const to = Math.min(sync.batchCount, from + perRead - 1);
        next = to < sync.batchCount ? read(to + 1) : undefined;
        for (let i = from; i <= to && failure === undefined; i++) {
          if (journal.accepted.has(i)) continue;
          const body = batchBody(header, i, sync.batchCount, lists.get(i) ?? { added: '', removed: '' });
          const sent = limit(async () => {
            if (failure !== undefined) return;
            await sender.send({ id: webhookId(sync.runId, i), body, label: `${i}/${sync.batchCount}` });
            bytes += Buffer.byteLength(body);
            journal.record(i);
            summary.delivered = journal.delivered;
            crashPoint('activation.batch-delivered');
            ctx.input.progress.detail?.(
              label,
              `${audience}: ${journal.delivered}/${sync.batchCount} batches`,
            );
          }).catch((error: unknown) => {
            failure ??= { error };
          });
          inFlight.add(sent);
          void sent.finally(() => inFlight.delete(sent));
          // Bodies wait in memory only for the batches about to be sent.
          if (inFlight.size >= 2 * concurrency) await Promise.race(inFlight);
        }
      }
      await Promise.all(inFlight);
      await next?.catch(() => undefined);
      if (failure !== undefined) throw failure.error;
    } finally {
      journal?.close();
    }
    await finishSync(engine, { activation: name, audience }, sync);
    journal.remove();
    summary.members = await segmentSize(engine, { activation: name, audience, segment: sync.segment });
    if (remote) {
      const key = { activation: name, audience, segment: sync.segment };
      const changed = sync.added + sync.removed > 0;
      const before = snapshots[audience] ?? previous[audience];
      snapshots[audience] = await uploadActivationSnapshot(
        ctx,
        engine,
        key,
        { runId: sync.runId, changed },
        before,
      );
    }
    marks[audience] = {
      at: ctx.input.now.toISOString(),
      members: summary.members,
      hash: sync.attributesHash,
    };
    current = undefined;
    return summary;
  };

  try {
    engine = await ctx.engine();
    await ensureActivationTables(engine);
    if (!draft) SyncJournal.removeStale(journalDir, await unfinishedRunIds(engine));
    sender = await ctx.webhook(conn);
    for (const audience of act.config.audiences) {
      const spec = audienceSyncSpec(ctx.input.model, name, audience, ctx.input.now);
      if (typeof spec === 'string')
        throw new OutflowError('activation-unresolved', `${a.address}: ${spec}`, {
          hint: 'run outflow validate: the activation refers to something the configuration does not declare',
        });
      // What a crash or a failed batch left is finished first, exactly as it was frozen.
      const left = draft ? undefined : await unfinishedSync(engine, { activation: name, audience });
      if (left !== undefined) done.push(await deliver(audience, left));
      const runId = syncRunId(ctx.input.now);
      const frozen = await freezeSync(engine, spec.query, {
        runId,
        header: JSON.stringify({ ...spec.header, runId } satisfies SyncHeader),
        batchSize,
      });
      if (remote && frozen.batchCount > 0) {
        // Any runner finishes it from here on: the state lists its batches before one is sent,
        // together with the snapshot of the sync this one was diffed after.
        const pending = await uploadPendingSync(ctx, engine, { activation: name, audience }, frozen);
        const snapshot = snapshots[audience];
        await ctx.record({
          type: 'syncPending',
          address: a.address,
          audience,
          pending,
          ...(snapshot === undefined ? {} : { snapshot }),
        });
        pendingRecorded = true;
      }
      crashPoint('activation.frozen');
      done.push(await deliver(audience, frozen));
    }
  } catch (error) {
    // A failed sync is on record: how far each audience got, and the error (never a secret).
    if (!draft) {
      const sync = [...done, ...(current === undefined ? [] : [current])];
      const run = syncRun(ctx, startedAt, sync, bytes, error);
      // The state store failing too is already reported by the failure being thrown.
      // Audiences whose sync finished before the failure keep their new snapshot.
      const kept = Object.keys(snapshots).length === 0 ? {} : { snapshots };
      await ctx.record({ type: 'runFailed', address: a.address, run, ...kept }).catch(() => undefined);
    }
    throw error;
  }
  await ctx.record({
    type: 'synced',
    address: a.address,
    run: syncRun(ctx, startedAt, done, bytes),
    marks,
    ...(Object.keys(snapshots).length === 0 ? {} : { snapshots }),
    ...(draft ? {} : { connection: conn.address }),
  });
  // The batches of syncs now recorded as finished are no longer needed by any runner.
  if (remote && pendingRecorded) await removeSettledSyncObjects(ctx, name);
  const sent = done
    .filter((s) => s.batches > 0)
    .map((s) => `${s.audience} → ${s.segment}: +${s.added} −${s.removed} in ${inBatches(s.batches)}`);
  const what = sent.length === 0 ? 'no membership change, nothing sent' : sent.join('; ');
  return `${draft ? 'draft, nothing sent: ' : ''}${what}${lines.length === 0 ? '' : `\n${lines.join('\n')}`}`;
}

/** A sync as state keeps it (in `runs`, beside export runs): per audience what it sent, and its error. */
function syncRun(
  ctx: StepContext,
  startedAt: string,
  sync: AudienceSync[],
  bytes: number,
  error?: unknown,
): ExportRun {
  return {
    runId: `sync-${stamp(ctx.input.now)}`,
    status: error === undefined ? 'succeeded' : 'failed',
    startedAt,
    finishedAt: ctx.clock().toISOString(),
    window: { to: ctx.input.now.toISOString() },
    rows: sync.reduce((n, s) => n + s.added + s.removed, 0),
    files: [],
    bytes,
    manifest: '',
    sync,
    ...(error === undefined ? {} : { error: { code: errorCode(error), message: errorMessage(error) } }),
  };
}

/** `sync-20261202T170000Z-3f9a1c2b`: unique per sync (two syncs at the same --now differ). */
function syncRunId(now: Date): string {
  return `sync-${stamp(now)}-${randomBytes(4).toString('hex')}`;
}

function inBatches(n: number): string {
  return `${n} batch${n === 1 ? '' : 'es'}`;
}

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
