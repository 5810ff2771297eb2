import { describe, expect, it } from 'vitest';
import { MAX_RUNS, transition } from '../../src/apply/index.js';
import type { ActivationSnapshot, ExportRun, PendingSync, StateDocument } from '../../src/state/index.js';

const at = '2026-11-20T12:00:00.000Z';
const state = (): StateDocument => ({
  formatVersion: 1,
  lineage: 'l',
  serial: 3,
  outflowVersion: 't',
  updatedAt: at,
  resources: {
    'Export/e': { kind: 'Export', name: 'e', configHash: 'a'.repeat(64), config: {}, appliedAt: at },
    'Dataflow/d': { kind: 'Dataflow', name: 'd', configHash: 'b'.repeat(64), config: {}, appliedAt: at },
  },
});
const run = (status: ExportRun['status'], to = at): ExportRun => ({
  runId: `r-${to}`,
  status,
  startedAt: at,
  finishedAt: at,
  window: { to },
  rows: 1,
  files: [],
  bytes: 0,
  manifest: status === 'succeeded' ? 'e/_manifest-r.json' : '',
});
const pending = { runId: 'r1', window: { to: at }, untilSeq: 7, startedAt: at };

describe('apply transitions (pure: state, event → state)', () => {
  it('never changes the state it is given', () => {
    const s = state();
    const copy = structuredClone(s);
    transition(s, { type: 'runPending', address: 'Export/e', pending });
    transition(s, { type: 'ingested', address: 'Dataflow/d', files: [], lastSeq: 4, overwrite: false });
    expect(s).toEqual(copy);
  });

  it('ingested appends files (overwrite replaces them) and only moves the sequence forward', () => {
    const file = (path: string) => ({
      path,
      size: 1,
      sha256: '0'.repeat(64),
      ingestedAt: at,
      rows: 1,
      rejected: 0,
      seqFrom: 1,
      seqTo: 1,
    });
    let s = transition(state(), {
      type: 'ingested',
      address: 'Dataflow/d',
      files: [file('a')],
      lastSeq: 4,
      overwrite: false,
    });
    s = transition(s, {
      type: 'ingested',
      address: 'Dataflow/d',
      files: [file('b')],
      lastSeq: 2,
      overwrite: false,
    });
    expect(s.resources['Dataflow/d']!.data).toMatchObject({ ingestSeq: 4 });
    expect(s.resources['Dataflow/d']!.data!.ingestedFiles!.map((f) => f.path)).toEqual(['a', 'b']);
    s = transition(s, {
      type: 'ingested',
      address: 'Dataflow/d',
      files: [file('c')],
      lastSeq: 5,
      overwrite: true,
    });
    expect(s.resources['Dataflow/d']!.data!.ingestedFiles!.map((f) => f.path)).toEqual(['c']);
  });

  it('a published run clears the pending run, moves the watermark and anchors `every` once', () => {
    let s = transition(state(), { type: 'runPending', address: 'Export/e', pending });
    expect(s.resources['Export/e']!.data!.pendingRun).toEqual(pending);
    s = transition(s, {
      type: 'runPublished',
      address: 'Export/e',
      run: run('succeeded'),
      watermark: { seq: 7, at },
      every: '4h',
    });
    const d = s.resources['Export/e']!.data!;
    expect(d.pendingRun).toBeUndefined();
    expect(d.watermark).toEqual({ seq: 7, at });
    expect(d.scheduleAnchor).toEqual({ every: '4h', at });
    const later = '2026-11-20T16:00:00.000Z';
    s = transition(s, {
      type: 'runPublished',
      address: 'Export/e',
      run: run('succeeded', later),
      every: '4h',
    });
    expect(s.resources['Export/e']!.data!.scheduleAnchor).toEqual({ every: '4h', at });
    expect(s.resources['Export/e']!.data!.watermark).toEqual({ seq: 7, at }); // a full run leaves it
  });

  it('a failed run is recorded and keeps the pending run, so the next apply retries it as is', () => {
    let s = transition(state(), { type: 'runPending', address: 'Export/e', pending });
    const failed = { ...run('failed'), error: { code: 'publish-failed', message: 'disk full' } };
    s = transition(s, { type: 'runFailed', address: 'Export/e', run: failed });
    const d = s.resources['Export/e']!.data!;
    expect(d.pendingRun).toEqual(pending);
    expect(d.runs).toEqual([failed]);
    expect(d.watermark).toBeUndefined();
  });

  it(`keeps the last ${MAX_RUNS} runs`, () => {
    let s = state();
    for (let i = 0; i < MAX_RUNS + 5; i++)
      s = transition(s, {
        type: 'runSkipped',
        address: 'Export/e',
        run: { ...run('skipped'), runId: `r${i}` },
      });
    const runs = s.resources['Export/e']!.data!.runs!;
    expect(runs).toHaveLength(MAX_RUNS);
    expect(runs[0]!.runId).toBe('r5');
  });

  it('refuses to record data for a resource that is not in state', () => {
    expect(() => transition(state(), { type: 'runPending', address: 'Export/nope', pending })).toThrow(
      /not in state/,
    );
  });

  it('a pending sync stays until a snapshot of the same run folds it in (synced or a partly failed sync)', () => {
    const withActivation = (): StateDocument => {
      const s = state();
      s.resources['Activation/a'] = {
        kind: 'Activation',
        name: 'a',
        configHash: 'c'.repeat(64),
        config: {},
        appliedAt: at,
      };
      return s;
    };
    const snap = (runId: string): ActivationSnapshot => ({
      key: `warehouse/_activations/a/x/${runId}.parquet`,
      runId,
      segment: '[null,"x"]',
      rows: 2,
      bytes: 10,
      sha256: '1'.repeat(64),
    });
    const sync = (runId: string): PendingSync => ({
      key: `syncs/a/x/${runId}.parquet`,
      runId,
      segment: '[null,"x"]',
      header: '{}',
      attributes: 'h',
      batchSize: 2,
      batchCount: 1,
      added: 2,
      removed: 0,
      bytes: 10,
      sha256: '2'.repeat(64),
    });
    const data = (s: StateDocument) => s.resources['Activation/a']!.data!;
    let s = transition(withActivation(), {
      type: 'syncPending',
      address: 'Activation/a',
      audience: 'x',
      pending: sync('p1'),
    });
    expect(data(s).pendingSyncs).toEqual({ x: sync('p1') });
    // p1 finished (taken over), then p2 frozen after it: one write lists p1's snapshot and p2.
    s = transition(s, {
      type: 'syncPending',
      address: 'Activation/a',
      audience: 'x',
      pending: sync('p2'),
      snapshot: snap('p1'),
    });
    expect(data(s)).toMatchObject({ snapshots: { x: snap('p1') }, pendingSyncs: { x: sync('p2') } });
    // p2 fails: it stays pending; a snapshot of another audience changes nothing for x.
    s = transition(s, {
      type: 'runFailed',
      address: 'Activation/a',
      run: run('failed'),
      snapshots: { y: snap('q1') },
    });
    expect(data(s).pendingSyncs).toEqual({ x: sync('p2') });
    expect(Object.keys(data(s).snapshots!)).toEqual(['x', 'y']);
    s = transition(s, {
      type: 'synced',
      address: 'Activation/a',
      run: run('succeeded'),
      marks: { x: { at, members: 2, hash: 'h' } },
      snapshots: { x: snap('p2') },
    });
    expect(data(s).pendingSyncs).toBeUndefined();
    expect(data(s).snapshots!.x).toEqual(snap('p2'));
  });
});
