import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { segmentKey } from '../../src/apply/ingest-step.js';
import { ensureActivationTables, segmentKey as membersKey } from '../../src/engine/activation.js';
import { writeSnapshotFile } from '../../src/engine/activation-snapshots.js';
import { sha256File } from '../../src/engine/file-hash.js';
import { type Engine, ensureDataset, openEngine } from '../../src/engine/index.js';
import { markSegmentLoaded, writeSegmentFile } from '../../src/engine/segments.js';
import { dataWithoutSegments, refreshRemoteWarehouse } from '../../src/project/warehouse-rebuild.js';
import type { Dataflow } from '../../src/schema/index.js';
import {
  type ActivationSnapshot,
  emptyState,
  type StateDocument,
  type WarehouseSegment,
} from '../../src/state/index.js';

// refreshRemoteWarehouse against real DuckDB, with a folder standing for the bucket: a missing
// warehouse is rebuilt, a cache that is behind tops up, one that disagrees is refreshed, rows the
// state does not record go, upsert tables end with one row per person, a changed object is refused.
const people = {
  source: { path: 'data/*.csv', format: 'csv' },
  schema: {
    personIdentifier: 'id',
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'v', type: 'string' },
    ],
  },
  writeMode: 'upsert',
} as unknown as Dataflow;

const LINEAGE = '6f1c2a9e-0000-4000-8000-000000000001';
let root: string;
let staging: string;
let bucket: string;
let warehouse: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'outflow-rebuild-')));
  staging = join(root, '.outflow', 'staging');
  bucket = join(root, 'bucket');
  warehouse = join(root, '.outflow', 'warehouse.duckdb');
  mkdirSync(staging, { recursive: true });
  mkdirSync(bucket, { recursive: true });
});

const open = (database: string) => openEngine({ database, allowedDirectories: [staging] });

/** Makes a segment of `people` holding `rows` ([id, v, seq]) in the bucket; returns what state records. */
async function segment(
  rows: [number, string, number][],
  seqFrom: number,
  seqTo: number,
): Promise<WarehouseSegment> {
  const engine = await open(':memory:');
  try {
    await ensureDataset(engine, { name: 'people', config: people });
    for (const [id, v, seq] of rows)
      await engine.run(`INSERT INTO ds_people (id, v, _seq, _file, _line) VALUES ($1, $2, $3, 'f.csv', $3)`, [
        id,
        v,
        seq,
      ]);
    const file = join(staging, `make-${seqFrom}.parquet`);
    const n = await writeSegmentFile(engine, 'people', seqFrom, seqTo, file);
    const key = segmentKey('people', 1, seqFrom, seqTo);
    mkdirSync(join(bucket, 'warehouse/people/g1'), { recursive: true });
    copyFileSync(file, join(bucket, key));
    const sha256 = await sha256File(file);
    return { key, rows: n, bytes: 1, sha256, seqFrom, seqTo };
  } finally {
    await engine.close();
  }
}

function stateWith(objects: WarehouseSegment[], ingestSeq: number): StateDocument {
  const s = { ...emptyState(new Date('2026-11-16T00:00:00Z'), '0.1.0'), lineage: LINEAGE };
  s.resources['Dataflow/people'] = {
    kind: 'Dataflow',
    name: 'people',
    configHash: 'a'.repeat(64),
    config: {},
    appliedAt: '2026-11-16T00:00:00.000Z',
    data: { ingestSeq, segments: { generation: 1, objects } },
  };
  return s;
}

async function refresh(state: StateDocument, config: Dataflow = people) {
  return refreshRemoteWarehouse({
    warehouse,
    shownWarehouse: '.outflow/warehouse.duckdb',
    state,
    stateShown: 'azure://x/state.json',
    flows: new Map([['people', config]]),
    open: async () => {
      mkdirSync(join(root, '.outflow'), { recursive: true });
      return open(warehouse);
    },
    stagingDir: staging,
    download: async (key, file) => copyFileSync(join(bucket, key), file),
  });
}

async function rows(): Promise<unknown[]> {
  const engine: Engine = await open(warehouse);
  try {
    return (await engine.all('SELECT id, v, _seq FROM ds_people ORDER BY id')).map((r) => [
      r.id,
      r.v,
      r._seq,
    ]);
  } finally {
    await engine.close();
  }
}

describe('refreshRemoteWarehouse', () => {
  it('rebuilds a missing warehouse, one row per person for upsert; a cache that is behind loads only what it lacks', async () => {
    const s1 = await segment(
      [
        [1, 'a', 1],
        [2, 'b', 2],
      ],
      1,
      2,
    );
    expect(existsSync(warehouse)).toBe(false);
    const first = await refresh(stateWith([s1], 2));
    expect(first).toMatchObject({ created: true, loaded: 1, discarded: 0 });
    const s2 = await segment(
      [
        [1, 'a2', 3],
        [3, 'c', 4],
      ],
      3,
      4,
    );
    const topUp = await refresh(stateWith([s1, s2], 4));
    expect(topUp).toMatchObject({ created: false, loaded: 1, rebuilt: [] });
    expect(await rows()).toEqual([
      [1, 'a2', 3],
      [2, 'b', 2],
      [3, 'c', 4],
    ]);
    // In line with the state: nothing to do.
    expect(await refresh(stateWith([s1, s2], 4))).toMatchObject({ loaded: 0, rebuilt: [], discarded: 0 });
  });

  it('deletes rows above what the state records, and rebuilds a table holding rows no listed segment accounts for', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    await refresh(stateWith([s1], 1));
    const engine = await open(warehouse);
    // An ingest that committed but never reached the state, and a row from nowhere (a tampered cache).
    await engine.run(`INSERT INTO ds_people (id, v, _seq, _file, _line) VALUES (9, 'lost', 2, 'x', 1)`);
    await engine.run(`INSERT INTO ds_people (id, v, _seq, _file, _line) VALUES (8, 'odd', 0, 'x', 1)`);
    await engine.close();
    const r = await refresh(stateWith([s1], 1));
    expect(r).toMatchObject({ discarded: 1, rebuilt: ['people'], loaded: 1 });
    expect(await rows()).toEqual([[1, 'a', 1]]);
  });

  it('rebuilds a dataflow whose loaded list names a segment the state does not list (another generation)', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    await refresh(stateWith([s1], 1));
    const engine = await open(warehouse);
    await markSegmentLoaded(engine, {
      dataflow: 'people',
      key: 'warehouse/people/g0/1-1.parquet',
      sha256: 'f'.repeat(64),
    });
    await engine.close();
    expect(await refresh(stateWith([s1], 1))).toMatchObject({ rebuilt: ['people'], loaded: 1 });
    expect(await rows()).toEqual([[1, 'a', 1]]);
  });

  it('refuses a segment whose bytes are not the ones the state records (segment-corrupt), loading nothing', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    writeFileSync(join(bucket, s1.key), 'not parquet');
    await expect(refresh(stateWith([s1], 1))).rejects.toMatchObject({
      code: 'segment-corrupt',
      hint: expect.stringContaining('restore it'),
    });
  });

  it('never trusts a cache DuckDB cannot open (a truncated file): it is made anew from the segments', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    mkdirSync(join(root, '.outflow'), { recursive: true });
    writeFileSync(warehouse, 'DUCK but cut short');
    expect(await refresh(stateWith([s1], 1))).toMatchObject({ created: true, loaded: 1 });
    expect(await rows()).toEqual([[1, 'a', 1]]);
  });

  it('rebuilds an append table that lost rows its segments hold (a tampered cache); upsert tables may hold fewer', async () => {
    const append = { ...people, writeMode: 'append' } as Dataflow;
    const s1 = await segment(
      [
        [1, 'a', 1],
        [2, 'b', 2],
      ],
      1,
      2,
    );
    await refresh(stateWith([s1], 2), append);
    const engine = await open(warehouse);
    await engine.run('DELETE FROM ds_people WHERE id = 2');
    await engine.close();
    expect(await refresh(stateWith([s1], 2), append)).toMatchObject({ rebuilt: ['people'], loaded: 1 });
    expect(await rows()).toEqual([
      [1, 'a', 1],
      [2, 'b', 2],
    ]);
  });
});

describe('refreshRemoteWarehouse: activation snapshots', () => {
  const SEGMENT = '["cdp","eu"]';
  const key = { activation: 'newsletter', audience: 'eu', segment: SEGMENT };

  /** An activation snapshot of audience `eu` holding `ids` in the bucket; returns what state records. */
  async function snapshot(ids: string[], runId: string): Promise<ActivationSnapshot> {
    const engine = await open(':memory:');
    try {
      await ensureActivationTables(engine);
      for (const id of ids)
        await engine.run(`INSERT INTO _outflow_activation_members VALUES ($1, $2, 'h1')`, [
          membersKey(key),
          id,
        ]);
      const file = join(staging, `${runId}.parquet`);
      const rows = await writeSnapshotFile(engine, key, file);
      const objectKey = `warehouse/_activations/newsletter/eu/${runId}.parquet`;
      mkdirSync(join(bucket, 'warehouse/_activations/newsletter/eu'), { recursive: true });
      copyFileSync(file, join(bucket, objectKey));
      return { key: objectKey, runId, segment: SEGMENT, rows, bytes: 1, sha256: await sha256File(file) };
    } finally {
      await engine.close();
    }
  }

  function withActivation(state: StateDocument, snap: ActivationSnapshot | undefined): StateDocument {
    state.resources['Activation/newsletter'] = {
      kind: 'Activation',
      name: 'newsletter',
      configHash: 'b'.repeat(64),
      config: { audiences: ['eu'] },
      appliedAt: '2026-11-16T00:00:00.000Z',
      data: {
        syncMarks: { eu: { at: '2026-11-16T00:00:00.000Z', members: snap?.rows ?? 0, hash: 'h1' } },
        ...(snap === undefined ? {} : { snapshots: { eu: snap } }),
      },
    };
    return state;
  }

  async function members(): Promise<{ ids: string[]; syncs: number }> {
    const engine = await open(warehouse);
    try {
      const ids = (
        await engine.all(
          `SELECT m.id FROM _outflow_activation_members m JOIN _outflow_activation_segments s USING (seg) WHERE s.activation = 'newsletter' AND s.audience = 'eu' AND s.segment = $1 ORDER BY m.id`,
          [SEGMENT],
        )
      ).map((r) => String(r.id));
      const [n] = await engine.all('SELECT count(*) AS n FROM _outflow_activation_syncs');
      return { ids, syncs: Number(n?.n ?? 0) };
    } finally {
      await engine.close();
    }
  }

  it('a missing warehouse gets the snapshot; one holding it is left alone; edited members, or an older snapshot with its unfinished sync, are replaced', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    const k1 = await snapshot(['1', '2', '3'], 'sync-1');
    const first = await refresh(withActivation(stateWith([s1], 1), k1));
    expect(first).toMatchObject({ created: true, loaded: 1, snapshots: 1 });
    expect(await members()).toEqual({ ids: ['1', '2', '3'], syncs: 0 });
    expect(await refresh(withActivation(stateWith([s1], 1), k1))).toMatchObject({ loaded: 0, snapshots: 0 });

    // Edited by hand: the members no longer match what was loaded.
    let engine = await open(warehouse);
    await engine.run(`DELETE FROM _outflow_activation_members WHERE id = '2'`);
    await engine.close();
    expect(await refresh(withActivation(stateWith([s1], 1), k1))).toMatchObject({ snapshots: 1 });
    expect((await members()).ids).toEqual(['1', '2', '3']);

    // The state moved on to a newer snapshot; this warehouse still has an unfinished sync frozen
    // against the older one: the members are replaced and the sync dropped.
    engine = await open(warehouse);
    await engine.run(
      `INSERT INTO _outflow_activation_syncs VALUES ('sync-0', 'newsletter', 'eu', $1, '{}', 'h1', 2, 1, 1, 0)`,
      [SEGMENT],
    );
    await engine.run(`CREATE TABLE "_outflow_sync_sync-0" AS SELECT 'added' AS op, '9' AS id`);
    await engine.close();
    const k2 = await snapshot(['1', '4'], 'sync-2');
    expect(await refresh(withActivation(stateWith([s1], 1), k2))).toMatchObject({ snapshots: 1 });
    expect(await members()).toEqual({ ids: ['1', '4'], syncs: 0 });
  });

  it('refuses a snapshot whose bytes are not the ones the state records (segment-corrupt), loading nothing', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    const k1 = await snapshot(['1'], 'sync-1');
    writeFileSync(join(bucket, k1.key), 'not parquet');
    await expect(refresh(withActivation(stateWith([s1], 1), k1))).rejects.toMatchObject({
      code: 'segment-corrupt',
      message: expect.stringContaining(
        'activation snapshot warehouse/_activations/newsletter/eu/sync-1.parquet',
      ),
    });
  });

  it('only a sync mark without a snapshot, of an audience the activation still has, cannot travel', async () => {
    const s1 = await segment([[1, 'a', 1]], 1, 1);
    const k1 = await snapshot(['1'], 'sync-1');
    expect(dataWithoutSegments(withActivation(stateWith([s1], 1), k1))).toBeUndefined();
    const before = withActivation(stateWith([s1], 1), undefined);
    expect(dataWithoutSegments(before)).toBe(
      'the activation syncs of Activation/newsletter (eu) from before its state was remote',
    );
    before.resources['Activation/newsletter']!.config = { audiences: ['other'] };
    expect(dataWithoutSegments(before)).toBeUndefined();
    // A missing warehouse is refused when the syncs cannot travel.
    const refused = withActivation(stateWith([s1], 1), undefined);
    await expect(refresh(refused)).rejects.toMatchObject({ code: 'warehouse-not-here' });
  });
});
