// Activation membership in the warehouse: what each segment was last sent, and syncs frozen into
// numbered batches so a crash between batches resumes exactly where it stopped.
//
// Tables (created on first use):
// - _outflow_activation_members: per (activation, audience, segment) the member ids delivered
//   and the fingerprint of the attributes they were sent with. It changes only when a sync
//   finishes, in one transaction with the removal of that sync's batches.
// - _outflow_activation_syncs: one row per unfinished sync: its header (the body's fixed part, as
//   JSON), the batch count and `delivered` (batches 1..delivered were accepted by the receiver).
// - _outflow_activation_items: the unfinished syncs' members, each with its batch number.
import type { Audience } from '../schema/index.js';
import type { Engine, SqlValue } from './engine.js';
import { audienceSql, type FlowRef, latestPeopleSql, personIdentifierOf } from './sql/audience-sql.js';
import { quoteIdent } from './sql/quote.js';

const MEMBERS = '_outflow_activation_members';
const SYNCS = '_outflow_activation_syncs';
const ITEMS = '_outflow_activation_items';

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
  /** Batches 1..delivered were accepted. */
  delivered: number;
  added: number;
  removed: number;
}

export async function ensureActivationTables(engine: Engine): Promise<void> {
  await engine.run(
    [
      `CREATE TABLE IF NOT EXISTS ${MEMBERS} (activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL, id VARCHAR NOT NULL, attributes VARCHAR NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${SYNCS} (run_id VARCHAR NOT NULL, activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, segment VARCHAR NOT NULL, header VARCHAR NOT NULL, attributes VARCHAR NOT NULL, batch_count INTEGER NOT NULL, delivered INTEGER NOT NULL, added BIGINT NOT NULL, removed BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${ITEMS} (run_id VARCHAR NOT NULL, batch INTEGER NOT NULL, op VARCHAR NOT NULL, id VARCHAR NOT NULL)`,
    ].join(';\n'),
  );
}

/** Whether the warehouse has the activation tables (a read-only plan must not create them). */
async function hasActivationTables(engine: Engine): Promise<boolean> {
  const rows = await engine.all(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('${MEMBERS}', '${SYNCS}', '${ITEMS}')`,
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
  const current = `SELECT DISTINCT CAST(p.${id} AS VARCHAR) AS id FROM (${latestPeopleSql(q.people)}) p JOIN (${audience.sql}) m ON m.person_id = p.${pid} WHERE p.${id} IS NOT NULL`;
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

/** The activation's unfinished sync for this audience, if a crash or a failure left one. */
export async function unfinishedSync(
  engine: Engine,
  key: Pick<MembershipKey, 'activation' | 'audience'>,
): Promise<FrozenSync | undefined> {
  const rows = await engine.all(
    `SELECT run_id, segment, header, attributes, batch_count, delivered, added, removed FROM ${SYNCS} WHERE activation = $1 AND audience = $2 ORDER BY run_id LIMIT 1`,
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
    delivered: Number(r.delivered),
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
      `INSERT INTO ${ITEMS} ${diff.ctes} SELECT $${n + 1} AS run_id, CAST((row_number() OVER (ORDER BY op, id) - 1) // ${size} + 1 AS INTEGER) AS batch, op, id FROM diff ORDER BY batch, op, id`,
      [...diff.params, sync.runId],
    );
    const [counted] = await engine.all(
      `SELECT count(*) FILTER (WHERE op = 'added') AS added, count(*) FILTER (WHERE op = 'removed') AS removed, coalesce(max(batch), 0) AS batches FROM ${ITEMS} WHERE run_id = $1`,
      [sync.runId],
    );
    const added = Number(counted?.added ?? 0);
    const removed = Number(counted?.removed ?? 0);
    const frozen: FrozenSync = {
      runId: sync.runId,
      segment: q.segment,
      header: sync.header,
      attributesHash: q.attributesHash,
      batchCount: Number(counted?.batches ?? 0),
      delivered: 0,
      added,
      removed,
    };
    await engine.run(`INSERT INTO ${SYNCS} VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`, [
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

/** The members of batches `from..to` of a frozen sync, by batch, in body order. */
export async function batchMembers(
  engine: Engine,
  runId: string,
  from: number,
  to: number,
): Promise<Map<number, { op: 'added' | 'removed'; id: string }[]>> {
  const rows = await engine.all(
    `SELECT batch, op, id FROM ${ITEMS} WHERE run_id = $1 AND batch BETWEEN $2 AND $3 ORDER BY batch, op, id`,
    [runId, from, to],
  );
  const out = new Map<number, { op: 'added' | 'removed'; id: string }[]>();
  for (const r of rows) {
    const b = Number(r.batch);
    let list = out.get(b);
    if (list === undefined) {
      list = [];
      out.set(b, list);
    }
    list.push({ op: r.op as 'added' | 'removed', id: String(r.id) });
  }
  return out;
}

/** Records that batch `index` was accepted (batches are delivered in order). */
export async function markDelivered(engine: Engine, runId: string, index: number): Promise<void> {
  await engine.run(`UPDATE ${SYNCS} SET delivered = $2 WHERE run_id = $1 AND delivered < $2`, [runId, index]);
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
      `DELETE FROM ${MEMBERS} WHERE activation = $1 AND audience = $2 AND (segment <> $3 OR id IN (SELECT id FROM ${ITEMS} WHERE run_id = $4))`,
      [key.activation, key.audience, sync.segment, sync.runId],
    );
    await engine.run(
      `INSERT INTO ${MEMBERS} SELECT $1, $2, $3, id, $4 FROM ${ITEMS} WHERE run_id = $5 AND op = 'added'`,
      [key.activation, key.audience, sync.segment, sync.attributesHash, sync.runId],
    );
    await engine.run(`DELETE FROM ${ITEMS} WHERE run_id = $1`, [sync.runId]);
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
  await engine.run(
    `DELETE FROM ${ITEMS} WHERE run_id IN (SELECT run_id FROM ${SYNCS} WHERE activation = $1)`,
    [activation],
  );
  await engine.run(`DELETE FROM ${SYNCS} WHERE activation = $1`, [activation]);
  await engine.run(`DELETE FROM ${MEMBERS} WHERE activation = $1`, [activation]);
}
