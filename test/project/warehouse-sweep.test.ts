import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDestination } from '../../src/destinations/index.js';
import { listedWarehouseKeys, sweepWarehouse } from '../../src/project/warehouse-sweep.js';
import type { ResourceState, StateDocument } from '../../src/state/index.js';

const segment = (key: string) => ({ key, rows: 1, bytes: 1, sha256: '0'.repeat(64), seqFrom: 1, seqTo: 1 });

function stateWith(resources: Record<string, Partial<ResourceState>>): StateDocument {
  return {
    formatVersion: 1,
    lineage: 'l',
    serial: 3,
    outflowVersion: 'test',
    updatedAt: '2026-12-03T00:00:00Z',
    resources: Object.fromEntries(
      Object.entries(resources).map(([address, r]) => [
        address,
        {
          kind: address.split('/')[0]!,
          name: address.split('/')[1]!,
          configHash: 'h',
          config: {},
          appliedAt: 'a',
          ...r,
        },
      ]),
    ),
  };
}

describe('sweeping warehouse objects no state lists', () => {
  it('removes unlisted segments (old generations, deleted dataflows, killed uploads) and nothing else', async () => {
    const root = mkdtempSync(join(tmpdir(), 'outflow-sweep-'));
    const keys = [
      'other/warehouse/events/g1/1-5.parquet', // another project's prefix: never touched
      'shop/state.json',
      'shop/warehouse/events/g1/1-5.parquet',
      'shop/warehouse/events/g1/6-9.parquet', // uploaded by a killed run, never recorded
      'shop/warehouse/users/g1/1-3.parquet', // an older overwrite generation
      'shop/warehouse/users/g2/4-6.parquet',
      'shop/warehouse/gone/g1/1-2.parquet', // a deleted dataflow
      'shop/warehouse/_activations/crm/r1.parquet',
      'shop/warehouse/_activations/crm/r0.parquet', // an earlier snapshot
    ];
    for (const k of keys) {
      mkdirSync(join(root, ...k.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(root, ...k.split('/')), 'x');
    }
    const state = stateWith({
      'Dataflow/events': {
        data: { segments: { generation: 1, objects: [segment('warehouse/events/g1/1-5.parquet')] } },
      },
      'Dataflow/users': {
        data: { segments: { generation: 2, objects: [segment('warehouse/users/g2/4-6.parquet')] } },
      },
      'Activation/crm': {
        data: { snapshots: { buyers: { key: 'warehouse/_activations/crm/r1.parquet' } } } as never,
      },
    });
    expect([...listedWarehouseKeys(state)].sort()).toEqual([
      'warehouse/_activations/crm/r1.parquet',
      'warehouse/events/g1/1-5.parquet',
      'warehouse/users/g2/4-6.parquet',
    ]);
    const destination = new LocalDestination(root);
    const removed = await sweepWarehouse(destination, '/shop/', state);
    expect(removed.sort()).toEqual([
      'warehouse/_activations/crm/r0.parquet',
      'warehouse/events/g1/6-9.parquet',
      'warehouse/gone/g1/1-2.parquet',
      'warehouse/users/g1/1-3.parquet',
    ]);
    expect((await destination.list('')).map((o) => o.key)).toEqual([
      'other/warehouse/events/g1/1-5.parquet',
      'shop/state.json',
      'shop/warehouse/_activations/crm/r1.parquet',
      'shop/warehouse/events/g1/1-5.parquet',
      'shop/warehouse/users/g2/4-6.parquet',
    ]);
  });
});
