import { describe, expect, it } from 'vitest';
import { type ApplyProgress, applyPlan } from '../../src/apply/index.js';
import { OutflowError } from '../../src/diagnostics/index.js';
import type { Engine } from '../../src/engine/index.js';
import { diff } from '../../src/plan/index.js';
import { emptyState, type StateBackend, type StateDocument } from '../../src/state/index.js';
import { modelOf, users } from '../support/model.js';

// The executor with everything injected: a fake engine (no DuckDB), a fake destination and a
// fixed clock. What is tested is the order, the skipping of dependents and what state records.
const now = new Date('2026-11-20T12:00:00.000Z');
const clockAt = new Date('2026-11-20T12:00:05.000Z');

function fakeEngine(failOn: RegExp): Engine {
  const fail = (sql: string) => {
    if (failOn.test(sql)) throw new OutflowError('engine-failed', `fake engine refuses: ${sql.slice(0, 40)}`);
  };
  return {
    database: ':fake:',
    run: async (sql) => {
      fail(sql);
      return { rowsChanged: 0 };
    },
    all: async (sql) => {
      fail(sql);
      return [];
    },
    stream: async (sql) => fail(sql),
    close: async () => undefined,
  };
}

function memoryBackend(): StateBackend & { writes: StateDocument[] } {
  const writes: StateDocument[] = [];
  return {
    writes,
    read: async () => writes.at(-1),
    write: async (doc) => {
      writes.push(structuredClone(doc));
    },
    describe: () => 'memory',
  };
}

const quiet: ApplyProgress = { start() {}, succeed() {}, fail() {}, warn() {} };

describe('applyPlan (injected engine, destination and clock)', () => {
  it('skips what depends on a failed item, runs the rest, and records failed runs and syncs', async () => {
    const flow = (name: string) => users({ name, schema: { ...users().schema, name } });
    const model = modelOf(
      { kind: 'Connection', name: 'bucket', type: 's3', bucket: 'b', region: 'eu-west-1' },
      {
        kind: 'Connection',
        name: 'hook',
        type: 'webhook',
        baseUrl: 'https://x.test/h',
        clientId: 'id',
        clientSecret: '${env:S}',
      },
      flow('d1'),
      flow('d2'),
      {
        kind: 'Audience',
        name: 'aud2',
        people: 'd2',
        conditions: [{ have: { trait: 'country', op: '=', value: 'FR' } }],
      },
      {
        kind: 'Export',
        name: 'e1',
        type: 'segment',
        from: { dataflow: 'd1' },
        fields: ['userid'],
        destination: 'bucket',
        format: 'csv',
        schedule: { every: '4h' },
      },
      {
        kind: 'Export',
        name: 'e2',
        type: 'segment',
        from: { dataflow: 'd2' },
        fields: ['userid'],
        destination: 'bucket',
        format: 'csv',
        schedule: { every: '4h' },
      },
      {
        kind: 'Activation',
        name: 'a',
        destination: 'hook',
        audiences: ['aud2'],
        personIdentifier: 'userid',
        schedule: { every: '24h' },
      },
    );
    const plan = diff(model, undefined, { now, outflowVersion: 't' });
    const backend = memoryBackend();
    const opened: string[] = [];
    const result = await applyPlan(
      {
        root: '/nonexistent',
        model,
        plan,
        state: emptyState(now, 't'),
        backend,
        now,
        version: 't',
        streamFiles: {},
        progress: quiet,
      },
      {
        openEngine: async () => {
          opened.push('engine');
          return fakeEngine(/ds_d1/);
        },
        destination: async (c) => {
          throw new OutflowError('destination-not-supported', `cannot publish to ${c.name}`);
        },
        webhook: async (c) => {
          throw new OutflowError('webhook-unreachable', `cannot reach ${c.name}`);
        },
        clock: () => clockAt,
      },
    );
    const status = Object.fromEntries(result.items.map((i) => [i.item, i.status]));
    expect(status['create Dataflow/d1']).toBe('failed');
    expect(status['create Dataflow/d2']).toBe('succeeded');
    expect(status['export Export/e1']).toBe('skipped');
    expect(result.items.find((i) => i.item === 'export Export/e1')!.detail).toBe(
      'skipped: depends on create Dataflow/d1, which failed',
    );
    expect(status['create Export/e1']).toBe('skipped');
    expect(status['export Export/e2']).toBe('failed');
    expect(status['sync Activation/a']).toBe('failed');
    expect(opened).toEqual(['engine']); // opened once, lazily
    expect(result.error).toBeInstanceOf(OutflowError);

    const final = backend.writes.at(-1)!;
    expect(final.resources['Dataflow/d1']).toBeUndefined();
    expect(final.resources['Export/e1']).toBeUndefined();
    const e2 = final.resources['Export/e2']!.data!.runs!;
    expect(e2).toEqual([
      expect.objectContaining({
        status: 'failed',
        startedAt: clockAt.toISOString(),
        finishedAt: clockAt.toISOString(),
        error: { code: 'destination-not-supported', message: 'cannot publish to bucket' },
      }),
    ]);
    expect(final.resources['Activation/a']!.data!.runs![0]).toMatchObject({
      status: 'failed',
      error: { code: 'webhook-unreachable', message: 'cannot reach hook' },
    });
    // State was saved after every completed step, each write one serial further, stamped by the clock.
    expect(backend.writes.map((w) => w.serial)).toEqual(backend.writes.map((_, i) => i + 1));
    expect(final.updatedAt).toBe(clockAt.toISOString());
  });
});
