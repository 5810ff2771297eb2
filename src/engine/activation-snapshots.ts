// Activation snapshots (remote state backends, docs/backends.md): an audience's delivered members
// as one immutable Parquet object (id, attributes), written after each finished sync and loaded by
// a rebuild. The warehouse records in LOADED_SNAPSHOTS_TABLE which snapshot its members came from,
// with a fingerprint of those members, so that opening it can tell whether it still holds exactly
// that snapshot (a fold-in the state never recorded, an edited or older cache: it does not).
import {
  ensureActivationTables,
  type FrozenSync,
  itemsTable,
  MEMBERS,
  type MembershipKey,
  SEGMENTS,
  SYNCS,
  segmentKey,
} from './activation.js';
import type { Engine } from './engine.js';
import { quoteLiteral } from './sql/quote.js';

export const LOADED_SNAPSHOTS_TABLE = '_outflow_loaded_snapshots';

/** A snapshot as the state lists it: enough to tell whether the warehouse holds it. */
export interface SnapshotRef {
  key: string;
  sha256: string;
  /** The segment's identity the members belong to. */
  segment: string;
  rows: number;
}

async function ensureLoadedSnapshots(engine: Engine): Promise<void> {
  await engine.run(
    `CREATE TABLE IF NOT EXISTS ${LOADED_SNAPSHOTS_TABLE} (activation VARCHAR NOT NULL, audience VARCHAR NOT NULL, key VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, members BIGINT NOT NULL, fingerprint VARCHAR NOT NULL)`,
  );
}

/** Writes the delivered members of one segment to a Parquet file (id, attributes); returns their count. */
export async function writeSnapshotFile(engine: Engine, key: MembershipKey, file: string): Promise<number> {
  // The key is hex (segmentKey): a literal, as COPY takes no parameters.
  const seg = quoteLiteral(segmentKey(key));
  const [row] = await engine.all(`SELECT count(*) AS n FROM ${MEMBERS} WHERE seg = ${seg}`);
  await engine.run(
    `COPY (SELECT id, attributes FROM ${MEMBERS} WHERE seg = ${seg}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return Number(row?.n ?? 0);
}

/**
 * An order-independent fingerprint of an activation audience's delivered members (every segment
 * it has, with the segment key), and their count: a full scan, no sort.
 */
async function membersFingerprint(
  engine: Engine,
  activation: string,
  audience: string,
): Promise<{ members: number; fingerprint: string }> {
  const [row] = await engine.all(
    `SELECT count(*) AS n, CAST(coalesce(sum(hash(m.seg, m.id, m.attributes)), 0) AS VARCHAR) AS fp
FROM ${MEMBERS} m WHERE m.seg IN (SELECT seg FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2)`,
    [activation, audience],
  );
  return { members: Number(row?.n ?? 0), fingerprint: String(row?.fp ?? '0') };
}

/** Records that the warehouse's members of this activation audience are those of snapshot `key`, as they are now. */
export async function markSnapshotLoaded(
  engine: Engine,
  s: { activation: string; audience: string; key: string; sha256: string },
): Promise<void> {
  await ensureLoadedSnapshots(engine);
  const { members, fingerprint } = await membersFingerprint(engine, s.activation, s.audience);
  await engine.run(`DELETE FROM ${LOADED_SNAPSHOTS_TABLE} WHERE activation = $1 AND audience = $2`, [
    s.activation,
    s.audience,
  ]);
  await engine.run(`INSERT INTO ${LOADED_SNAPSHOTS_TABLE} VALUES ($1, $2, $3, $4, $5, $6)`, [
    s.activation,
    s.audience,
    s.key,
    s.sha256,
    members,
    fingerprint,
  ]);
}

/**
 * Whether the warehouse holds exactly the snapshot the state lists for this activation audience:
 * it recorded loading (or writing) that object, its members are still what they were then, and
 * they belong to that one segment.
 */
export async function holdsSnapshot(
  engine: Engine,
  activation: string,
  audience: string,
  snapshot: SnapshotRef,
): Promise<boolean> {
  await ensureLoadedSnapshots(engine);
  const [loaded] = await engine.all(
    `SELECT key, sha256, members, fingerprint FROM ${LOADED_SNAPSHOTS_TABLE} WHERE activation = $1 AND audience = $2`,
    [activation, audience],
  );
  if (loaded === undefined || loaded.key !== snapshot.key || loaded.sha256 !== snapshot.sha256) return false;
  const segs = await engine.all(`SELECT seg FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2`, [
    activation,
    audience,
  ]);
  const seg = segmentKey({ activation, audience, segment: snapshot.segment });
  if (segs.length !== 1 || segs[0]?.seg !== seg) return false;
  const now = await membersFingerprint(engine, activation, audience);
  return (
    now.members === snapshot.rows &&
    now.members === Number(loaded.members) &&
    now.fingerprint === String(loaded.fingerprint)
  );
}

/**
 * Replaces an activation audience's delivered members with a snapshot file's (run inside the
 * caller's transaction). Its unfinished syncs are dropped: they were frozen against members the
 * state no longer records, and the next sync diffs against the snapshot instead.
 */
export async function loadSnapshotFile(engine: Engine, key: MembershipKey, file: string): Promise<number> {
  await dropUnfinishedSyncs(engine, key.activation, key.audience);
  await engine.run(
    `DELETE FROM ${MEMBERS} WHERE seg IN (SELECT seg FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2)`,
    [key.activation, key.audience],
  );
  await engine.run(`DELETE FROM ${SEGMENTS} WHERE activation = $1 AND audience = $2`, [
    key.activation,
    key.audience,
  ]);
  const seg = segmentKey(key);
  // A segment key stands for one (activation, audience, segment): drop rows of it another way left.
  await engine.run(`DELETE FROM ${MEMBERS} WHERE seg = $1`, [seg]);
  await engine.run(`INSERT INTO ${SEGMENTS} VALUES ($1, $2, $3, $4)`, [
    seg,
    key.activation,
    key.audience,
    key.segment,
  ]);
  const r = await engine.run(
    `INSERT INTO ${MEMBERS} SELECT $1, id, attributes FROM read_parquet(${quoteLiteral(file)})`,
    [seg],
  );
  return r.rowsChanged;
}

/** The run ids of an activation audience's unfinished syncs in this warehouse. */
export async function unfinishedRunIdsOf(
  engine: Engine,
  activation: string,
  audience: string,
): Promise<string[]> {
  await ensureActivationTables(engine);
  const rows = await engine.all(
    `SELECT run_id FROM ${SYNCS} WHERE activation = $1 AND audience = $2 ORDER BY run_id`,
    [activation, audience],
  );
  return rows.map((r) => String(r.run_id));
}

/** Forgets an activation audience's unfinished syncs: their batches and their rows. */
export async function dropUnfinishedSyncs(
  engine: Engine,
  activation: string,
  audience: string,
): Promise<void> {
  for (const runId of await unfinishedRunIdsOf(engine, activation, audience))
    await engine.run(`DROP TABLE IF EXISTS ${itemsTable(runId)}`);
  await engine.run(`DELETE FROM ${SYNCS} WHERE activation = $1 AND audience = $2`, [activation, audience]);
}

/** Writes a frozen sync's batches to a Parquet file: (n, op, id), n the row's place in batch order. */
export async function writeSyncFile(engine: Engine, runId: string, file: string): Promise<void> {
  await engine.run(
    `COPY (SELECT rowid AS n, op, id FROM ${itemsTable(runId)} ORDER BY rowid) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
}

/**
 * Makes a pending sync from another runner this warehouse's unfinished sync (run inside the
 * caller's transaction): its batches in the order they were frozen (batch k is rows
 * (k−1)·size … k·size−1 again), replacing any other unfinished sync of the audience.
 */
export async function restoreSyncFile(
  engine: Engine,
  key: Pick<MembershipKey, 'activation' | 'audience'>,
  sync: FrozenSync,
  file: string,
): Promise<void> {
  await dropUnfinishedSyncs(engine, key.activation, key.audience);
  await engine.run(`DROP TABLE IF EXISTS ${itemsTable(sync.runId)}`);
  await engine.run(
    `CREATE TABLE ${itemsTable(sync.runId)} AS SELECT op, id FROM read_parquet(${quoteLiteral(file)}) ORDER BY n`,
  );
  await engine.run(`INSERT INTO ${SYNCS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
    sync.runId,
    key.activation,
    key.audience,
    sync.segment,
    sync.header,
    sync.attributesHash,
    sync.batchSize,
    sync.batchCount,
    sync.added,
    sync.removed,
  ]);
}
