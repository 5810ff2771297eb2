// Activation membership in the warehouse: what each segment was last sent, and syncs frozen into
// numbered batches so a crash between batches resumes exactly where it stopped.
//
// Tables (created on first use):
// - _outflow_activation_members: per (activation, audience, segment) the member ids delivered
//   and the fingerprint of the attributes they were sent with. It changes only when a sync
//   finishes, in one transaction with the removal of that sync's batches.
// - _outflow_activation_syncs: one row per unfinished sync: its header (the body's fixed part, as
//   JSON) and its batch count. Which batches the receiver accepted is kept beside the warehouse,
//   in the sync's journal (apply/sync-journal.ts): one durable append per batch.
// - _outflow_sync_<runId>: one table per unfinished sync: its members, each with its batch
//   number, in batch order; dropped (not deleted row by row) when the sync is folded in.
import type { Audience } from '../schema/index.js';
import type { Engine, SqlValue } from './engine.js';
import { audienceSql, type FlowRef, latestPeopleSql, personIdentifierOf } from './sql/audience-sql.js';
import { quoteIdent } from './sql/quote.js';

const MEMBERS = '_outflow_activation_members';
const SYNCS = '_outflow_activation_syncs';
/** The table of one sync's batches (run ids are `sync-<stamp>-<hex>`: safe in a name once quoted). */
function itemsTable(runId: string): string {
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
  batchCount: number;
  added: number;
  removed: number;
}

export async function ensureActivationTables(engine: Engine): Promise<void> {
  await engine.run(
    [
      `CREATE TABLE IF NOT EXISTS ${MEMBERS} (activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL, id VARCHAR NOT NULL, attributes VARCHAR NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${SYNCS} (run_id VARCHAR NOT NULL, activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL, header VARCHAR NOT NULL, attributes VARCHAR NOT NULL, batch_count INTEGER NOT NULL, added BIGINT NOT NULL, removed BIGINT NOT NULL)`,
    ].join(';\n'),
  );
}

/** Whether the warehouse has the activation tables (a read-only plan must not create them). */
async function hasActivationTables(engine: Engine): Promise<boolean> {
  const rows = await engine.all(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('${MEMBERS}', '${SYNCS}')`,
  );
  return Number(rows[0]?.n ?? 0) === 2;
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
  // Sending the people's own identifier (the usual case) needs no second pass over the people.
  const current =
    q.personIdentifier === personIdentifierOf(q.people, 'people')
      ? `SELECT DISTINCT CAST(person_id AS VARCHAR) AS id FROM (${audience.sql}) WHERE person_id IS NOT NULL`
      : `SELECT DISTINCT CAST(p.${id} AS VARCHAR) AS id FROM (${latestPeopleSql(q.people)}) p JOIN (${audience.sql}) m ON m.person_id = p.${pid} WHERE p.${id} IS NOT NULL`;
  const delivered = withDelivered
    ? `SELECT id, attributes FROM ${MEMBERS} WHERE activation = ${bind(q.activation)} AND audience = ${bind(q.audience)} AND segment = ${bind(q.segment)}`
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
  const [row] = await engine.all(
    `SELECT count(*) AS n FROM ${MEMBERS} WHERE activation = $1 AND audience = $2 AND segment = $3`,
    [key.activation, key.audience, key.segment],
  );
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
  const rows = await engine.all(
    `SELECT run_id, segment, header, attributes, batch_count, added, removed FROM ${SYNCS} WHERE activation = $1 AND audience = $2 ORDER BY run_id LIMIT 1`,
    [key.activation, key.audience],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    runId: String(r.run_id),
    segment: String(r.segment),
    header: String(r.header),
    attributesHash: String(r.attributes),
    batchCount: Number(r.batch_count),
    added: Number(r.added),
    removed: Number(r.removed),
  };
}

/**
 * Computes the diff and freezes it into numbered batches of at most `batchSize` members (added
 * first, then removed, each by id), in one transaction. From here on the sync's batches are fixed:
 * a retry or a re-run after a crash sends exactly these, with the same ids.
 */
export async function freezeSync(
  engine: Engine,
  q: MembershipQuery,
  sync: { runId: string; header: string; batchSize: number },
): Promise<FrozenSync> {
  const diff = diffSql(q, true);
  const n = diff.params.length;
  const size = Math.max(1, Math.floor(sync.batchSize));
  await engine.run('BEGIN TRANSACTION');
  try {
    await engine.run(
      `CREATE TABLE ${itemsTable(sync.runId)} AS ${diff.ctes} SELECT CAST((row_number() OVER (ORDER BY op, id) - 1) // ${size} + 1 AS INTEGER) AS batch, op, id FROM diff ORDER BY batch, op, id`,
      diff.params,
    );
    const [counted] = await engine.all(
      `SELECT count(*) FILTER (WHERE op = 'added') AS added, count(*) FILTER (WHERE op = 'removed') AS removed, coalesce(max(batch), 0) AS batches FROM ${itemsTable(sync.runId)}`,
    );
    const added = Number(counted?.added ?? 0);
    const removed = Number(counted?.removed ?? 0);
    const frozen: FrozenSync = {
      runId: sync.runId,
      segment: q.segment,
      header: sync.header,
      attributesHash: q.attributesHash,
      batchCount: Number(counted?.batches ?? 0),
      added,
      removed,
    };
    await engine.run(`INSERT INTO ${SYNCS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      sync.runId,
      q.activation,
      q.audience,
      q.segment,
      sync.header,
      q.attributesHash,
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
 * `removed` lists (JSON objects joined by commas, each list ordered by id): one row per batch, so
 * a million members never become a million JavaScript objects.
 */
export async function batchLists(
  engine: Engine,
  runId: string,
  from: number,
  to: number,
  attributesJson: string,
): Promise<Map<number, { added: string; removed: string }>> {
  const rows = await engine.all(
    `SELECT batch,
  coalesce(string_agg('{"id":' || CAST(to_json(id) AS VARCHAR) || ',"attributes":' || $3 || '}', ',' ORDER BY id) FILTER (WHERE op = 'added'), '') AS added,
  coalesce(string_agg('{"id":' || CAST(to_json(id) AS VARCHAR) || '}', ',' ORDER BY id) FILTER (WHERE op = 'removed'), '') AS removed
FROM ${itemsTable(runId)} WHERE batch BETWEEN $1 AND $2 GROUP BY batch ORDER BY batch`,
    [from, to, attributesJson],
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
  await engine.run('BEGIN TRANSACTION');
  try {
    await engine.run(
      `DELETE FROM ${MEMBERS} WHERE activation = $1 AND audience = $2 AND (segment <> $3 OR id IN (SELECT id FROM ${itemsTable(sync.runId)}))`,
      [key.activation, key.audience, sync.segment],
    );
    await engine.run(
      `INSERT INTO ${MEMBERS} SELECT $1, $2, $3, id, $4 FROM ${itemsTable(sync.runId)} WHERE op = 'added'`,
      [key.activation, key.audience, sync.segment, sync.attributesHash],
    );
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
  await engine.run(`DELETE FROM ${MEMBERS} WHERE activation = $1`, [activation]);
}
