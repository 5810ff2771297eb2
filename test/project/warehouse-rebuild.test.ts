import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { segmentKey } from '../../src/apply/ingest-step.js';
import { sha256File } from '../../src/engine/export.js';
import { type Engine, ensureDataset, openEngine } from '../../src/engine/index.js';
import { markSegmentLoaded, writeSegmentFile } from '../../src/engine/segments.js';
import { refreshRemoteWarehouse } from '../../src/project/warehouse-rebuild.js';
import type { Dataflow } from '../../src/schema/index.js';
import { emptyState, type StateDocument, type WarehouseSegment } from '../../src/state/index.js';

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
