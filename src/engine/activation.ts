// Activation membership in the warehouse: what each segment was last sent, and syncs frozen into
// numbered batches so a crash between batches resumes exactly where it stopped.
//
// Tables (created on first use):
// - _outflow_activation_members: per segment (a short key, see segmentKey) the member ids
//   delivered and the fingerprint of the attributes they were sent with. It changes only when a
//   sync finishes, in one transaction with the removal of that sync's batches. Three narrow
//   columns: a million members are written in about half the time five columns take.
// - _outflow_activation_segments: which (activation, audience, segment) each key stands for.
// - _outflow_activation_syncs: one row per unfinished sync: its header (the body's fixed part, as
//   JSON) and its batch count. Which batches the receiver accepted is kept beside the warehouse,
//   in the sync's journal (apply/sync-journal.ts): one durable append per batch.
// - _outflow_sync_<runId>: one table per unfinished sync: its members (op, id); batch k is rows
//   (k−1)·size … k·size−1 by rowid, fixed when the table is written (no sort of a million ids);
//   dropped, not deleted row by row, when the sync is folded in.
import { createHash } from 'node:crypto';
import type { Audience } from '../schema/index.js';
import type { Engine, SqlValue } from './engine.js';
import { audienceSql, type FlowRef, latestPeopleSql, personIdentifierOf } from './sql/audience-sql.js';
import { quoteIdent } from './sql/quote.js';

export const MEMBERS = '_outflow_activation_members';
export const SEGMENTS = '_outflow_activation_segments';
export const SYNCS = '_outflow_activation_syncs';
/** The table of one sync's batches (run ids are `sync-<stamp>-<hex>`: safe in a name once quoted). */
export function itemsTable(runId: string): string {
  return quoteIdent(`_outflow_sync_${runId}`);
}

/** Which segment a sync writes to, and what the members are diffed against. */
export interface MembershipKey {
  activation: string;
  audience: string;
  /** The segment's identity (group and name); a different segment starts from nobody. */
  segment: string;
}

/** What the audience is now, and how it is compared with what was delivered. */
export interface MembershipQuery extends MembershipKey {
  audienceConfig: Audience;
  people: FlowRef;
  events: FlowRef | undefined;
  /** The people column sent as the member id. */
  personIdentifier: string;
  now: Date;
  /** Fingerprint of the attributes: a member delivered with other attributes is sent again. */
  attributesHash: string;
  updateMethod: 'add' | 'replace';
}

export interface MembershipDiff {
  added: number;
  removed: number;
  /** Members of the segment once the sync is delivered. */
  members: number;
}

/** An unfinished sync as the warehouse keeps it. */
export interface FrozenSync {
  runId: string;
  /** The segment it was frozen for (the config may have changed since). */
  segment: string;
  /** The body's fixed part, as given to `freezeSync` (JSON). */
  header: string;
  attributesHash: string;
  batchSize: number;
  batchCount: number;
  added: number;
  removed: number;
}

/** The short key a segment's delivered members are stored under. */
export function segmentKey(key: MembershipKey): string {
  return createHash('sha256')
    .update(JSON.stringify([key.activation, key.audience, key.segment]))
    .digest('hex')
    .slice(0, 16);
}

export async function ensureActivationTables(engine: Engine): Promise<void> {
  await engine.run(
    [
      `CREATE TABLE IF NOT EXISTS ${MEMBERS} (seg VARCHAR NOT NULL, id VARCHAR NOT NULL, attributes VARCHAR NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${SEGMENTS} (seg VARCHAR NOT NULL, activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${SYNCS} (run_id VARCHAR NOT NULL, activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL, header VARCHAR NOT NULL, attributes VARCHAR NOT NULL, batch_size INTEGER NOT NULL, batch_count INTEGER NOT NULL, added BIGINT NOT NULL, removed BIGINT NOT NULL)`,
    ].join(';\n'),
  );
}

/** Whether the warehouse has the activation tables (a read-only plan must not create them). */
export async function hasActivationTables(engine: Engine): Promise<boolean> {
  const rows = await engine.all(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('${MEMBERS}', '${SEGMENTS}', '${SYNCS}')`,
  );
  return Number(rows[0]?.n ?? 0) === 3;
}

/**
 * The diff as CTEs: `cur` (the audience's member ids now), `d` (delivered to this segment, with
 * the attributes' fingerprint) and `diff`: `added` members (in the audience, not delivered with
 * these attributes) and, for `replace`, `removed` ones (delivered, no longer in the audience).
 * Parameters after the audience's own are appended.
 */
function diffSql(q: MembershipQuery, withDelivered: boolean): { ctes: string; params: SqlValue[] } {
  const audience = audienceSql(q.audienceConfig, q.people, q.events, q.now);
  const params: SqlValue[] = [...audience.params];
  const bind = (v: SqlValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const pid = quoteIdent(personIdentifierOf(q.people, 'people'));
  const id = quoteIdent(q.personIdentifier);
  // Sending the people's own identifier (the usual case) needs no second pass over the people,
  // and no DISTINCT: the audience has one row per person.
  const current =
    q.personIdentifier === personIdentifierOf(q.people, 'people')
      ? `SELECT CAST(person_id AS VARCHAR) AS id FROM (${audience.sql}) WHERE person_id IS NOT NULL`
      : `SELECT DISTINCT CAST(p.${id} AS VARCHAR) AS id FROM (${latestPeopleSql(q.people)}) p JOIN (${audience.sql}) m ON m.person_id = p.${pid} WHERE p.${id} IS NOT NULL`;
  const delivered = withDelivered
    ? `SELECT id, attributes FROM ${MEMBERS} WHERE seg = ${bind(segmentKey(q))}`
    : 'SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS attributes WHERE false';
  const hash = bind(q.attributesHash);
  const removed =
    q.updateMethod === 'replace'
      ? ` UNION ALL SELECT 'removed' AS op, d.id FROM d ANTI JOIN cur ON cur.id = d.id`
      : '';
  const ctes = `WITH cur AS (${current}), d AS (${delivered}), diff AS (SELECT 'added' AS op, cur.id FROM cur ANTI JOIN (SELECT id FROM d WHERE attributes = ${hash}) s ON s.id = cur.id${removed})`;
  return { ctes, params };
}

/** Members the sync would add and remove, and the segment's size after it (read-only: the plan). */
export async function membershipDiff(engine: Engine, q: MembershipQuery): Promise<MembershipDiff> {
  const diff = diffSql(q, await hasActivationTables(engine));
  // After a sync the segment is the audience (replace), or what it was plus the new ids (add).
  const [row] = await engine.all(
    `${diff.ctes} SELECT (SELECT count(*) FROM diff WHERE op = 'added') AS added, (SELECT count(*) FROM diff WHERE op = 'removed') AS removed, (SELECT count(*) FROM cur) AS cur_n, (SELECT count(*) FROM d) AS d_n, (SELECT count(*) FROM cur ANTI JOIN d ON d.id = cur.id) AS new_n`,
    diff.params,
  );
  const members =
    q.updateMethod === 'replace' ? Number(row?.cur_n ?? 0) : Number(row?.d_n ?? 0) + Number(row?.new_n ?? 0);
  return { added: Number(row?.added ?? 0), removed: Number(row?.removed ?? 0), members };
}

/** How many members the segment has as delivered. */
export async function segmentSize(engine: Engine, key: MembershipKey): Promise<number> {
  const [row] = await engine.all(`SELECT count(*) AS n FROM ${MEMBERS} WHERE seg = $1`, [segmentKey(key)]);
  return Number(row?.n ?? 0);
}

/** The run ids of every unfinished sync (of every activation). */
export async function unfinishedRunIds(engine: Engine): Promise<Set<string>> {
  const rows = await engine.all(`SELECT run_id FROM ${SYNCS}`);
  return new Set(rows.map((r) => String(r.run_id)));
}

/** The activation's unfinished sync for this audience, if a crash or a failure left one. */
export async function unfinishedSync(
  engine: Engine,
  key: Pick<MembershipKey, 'activation' | 'audience'>,
): Promise<FrozenSync | undefined> {
  // A warehouse that never synced anything has no activation tables (and a read-only plan makes none).
  if (!(await hasActivationTables(engine))) return undefined;
  const rows = await engine.all(
    `SELECT run_id, segment, header, attributes, batch_size, batch_count, added, removed FROM ${SYNCS} WHERE activation = $1 AND audience = $2 ORDER BY run_id LIMIT 1`,
    [key.activation, key.audience],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    runId: String(r.run_id),
    segment: String(r.segment),
    header: String(r.header),
    attributesHash: String(r.attributes),
    batchSize: Number(r.batch_size),
    batchCount: Number(r.batch_count),
    added: Number(r.added),
    removed: Number(r.removed),
  };
}

/**
 * Computes the diff and freezes it into numbered batches of at most `batchSize` members, in one
 * transaction: batch k is the table's rows (k−1)·size … k·size−1. From here on the sync's batches
 * are fixed: a retry or a re-run after a crash sends exactly these, with the same ids.
 */
export async function freezeSync(
  engine: Engine,
  q: MembershipQuery,
  sync: { runId: string; header: string; batchSize: number },
): Promise<FrozenSync> {
  const diff = diffSql(q, true);
  const size = Math.max(1, Math.floor(sync.batchSize));
  await engine.run('BEGIN TRANSACTION');
  try {
    await engine.run(
      `CREATE TABLE ${itemsTable(sync.runId)} AS ${diff.ctes} SELECT op, id FROM diff`,
      diff.params,
    );
    const [counted] = await engine.all(
      `SELECT count(*) FILTER (WHERE op = 'added') AS added, count(*) FILTER (WHERE op = 'removed') AS removed FROM ${itemsTable(sync.runId)}`,
    );
    const added = Number(counted?.added ?? 0);
    const removed = Number(counted?.removed ?? 0);
    const frozen: FrozenSync = {
      runId: sync.runId,
      segment: q.segment,
      header: sync.header,
      attributesHash: q.attributesHash,
      batchSize: size,
      batchCount: Math.ceil((added + removed) / size),
      added,
      removed,
    };
    await engine.run(`INSERT INTO ${SYNCS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      sync.runId,
      q.activation,
      q.audience,
      q.segment,
      sync.header,
      q.attributesHash,
      size,
      frozen.batchCount,
      added,
      removed,
    ]);
    await engine.run('COMMIT');
    return frozen;
  } catch (error) {
    await engine.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The members of batches `from..to` of a frozen sync, rendered by DuckDB as the body's `added` and
 * `removed` lists (JSON objects joined by commas): one row per batch, so a million members never
 * become a million JavaScript objects.
 */
export async function batchLists(
  engine: Engine,
  sync: Pick<FrozenSync, 'runId' | 'batchSize'>,
  from: number,
  to: number,
  attributesJson: string,
): Promise<Map<number, { added: string; removed: string }>> {
  const size = sync.batchSize;
  const rows = await engine.all(
    `SELECT rowid // ${size} + 1 AS batch,
  coalesce(string_agg('{"id":' || CAST(to_json(id) AS VARCHAR) || ',"attributes":' || $3 || '}', ',' ORDER BY rowid) FILTER (WHERE op = 'added'), '') AS added,
  coalesce(string_agg('{"id":' || CAST(to_json(id) AS VARCHAR) || '}', ',' ORDER BY rowid) FILTER (WHERE op = 'removed'), '') AS removed
FROM ${itemsTable(sync.runId)} WHERE rowid BETWEEN $1 AND $2 GROUP BY batch ORDER BY batch`,
    [(from - 1) * size, to * size - 1, attributesJson],
  );
  return new Map(rows.map((r) => [Number(r.batch), { added: String(r.added), removed: String(r.removed) }]));
}

/**
 * Completes a delivered sync in one transaction: the segment's delivered members take the sync's
 * additions (with its attributes) and removals, and the sync's batches are dropped. Members of
 * another segment of the same activation and audience (the segment was renamed) are forgotten.
 */
export async function finishSync(
  engine: Engine,
  key: Pick<MembershipKey, 'activation' | 'audience'>,
  sync: FrozenSync,
): Promise<void> {
  const seg = segmentKey({ ...key, segment: sync.segment });
  await engine.run('BEGIN TRANSACTION');
  try {
    // Another segment of this activation and audience (renamed since) is forgotten.
    await engine.run(
      `DELETE FROM ${MEMBERS} WHERE seg IN (SELECT seg FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2 AND seg <> $3)`,
      [key.activation, key.audience, seg],
    );
    await engine.run(`DELETE FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2 AND seg <> $3`, [
      key.activation,
      key.audience,
      seg,
    ]);
    await engine.run(
      `INSERT INTO ${SEGMENTS} SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM ${SEGMENTS} WHERE seg = $1)`,
      [seg, key.activation, key.audience, sync.segment],
    );
    if (sync.added + sync.removed > 0) {
      // Nothing delivered yet (a first sync): no member to replace, so no join at all.
      const [had] = await engine.all(`SELECT count(*) AS n FROM ${MEMBERS} WHERE seg = $1`, [seg]);
      if (Number(had?.n ?? 0) > 0)
        await engine.run(
          `DELETE FROM ${MEMBERS} WHERE seg = $1 AND id IN (SELECT id FROM ${itemsTable(sync.runId)})`,
          [seg],
        );
      await engine.run(
        `INSERT INTO ${MEMBERS} SELECT $1, id, $2 FROM ${itemsTable(sync.runId)} WHERE op = 'added'`,
        [seg, sync.attributesHash],
      );
    }
    await engine.run(`DROP TABLE ${itemsTable(sync.runId)}`);
    await engine.run(`DELETE FROM ${SYNCS} WHERE run_id = $1`, [sync.runId]);
    await engine.run('COMMIT');
  } catch (error) {
    await engine.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Forgets everything of an activation (it was deleted): delivered members and unfinished syncs. */
export async function dropActivation(engine: Engine, activation: string): Promise<void> {
  if (!(await hasActivationTables(engine))) return;
  const syncs = await engine.all(`SELECT run_id FROM ${SYNCS} WHERE activation = $1`, [activation]);
  for (const r of syncs) await engine.run(`DROP TABLE IF EXISTS ${itemsTable(String(r.run_id))}`);
  await engine.run(`DELETE FROM ${SYNCS} WHERE activation = $1`, [activation]);
  await engine.run(
    `DELETE FROM ${MEMBERS} WHERE seg IN (SELECT seg FROM ${SEGMENTS} WHERE activation = $1)`,
    [activation],
  );
  await engine.run(`DELETE FROM ${SEGMENTS} WHERE activation = $1`, [activation]);
}
