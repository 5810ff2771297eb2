import { describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/engine/index.js';
import { bounded, estimateBytes, estimateFiles } from '../../src/impact/index.js';
import type { ExportRun } from '../../src/state/index.js';

const run = (rows: number, bytes: number, status: ExportRun['status'] = 'succeeded'): ExportRun => ({
  runId: 'r',
  status,
  startedAt: '2026-11-19T00:00:00Z',
  finishedAt: '2026-11-19T00:00:01Z',
  window: { to: '2026-11-19T00:00:00Z' },
  rows,
  files: [],
  bytes,
  manifest: '',
});

describe('data impact estimates', () => {
  it('estimates bytes from the last successful run that wrote rows', () => {
    expect(estimateBytes(100, [])).toBeUndefined();
    expect(estimateBytes(100, [run(10, 500), run(20, 400), run(5, 999, 'failed'), run(0, 0)])).toBe(2000);
  });

  it('estimates files from chunk.maxRows and chunk.maxBytes', () => {
    expect(estimateFiles(0, 0, { maxRows: 3 })).toBe(0);
    expect(estimateFiles(7, undefined, undefined)).toBe(1);
    expect(estimateFiles(7, undefined, { maxRows: 3 })).toBe(3);
    expect(estimateFiles(7, undefined, { maxBytes: '1KB' })).toBeUndefined();
    expect(estimateFiles(7, 5000, { maxBytes: '1KB' })).toBe(5);
    expect(estimateFiles(7, 5000, { maxRows: 1, maxBytes: 100_000 })).toBe(7);
  });
});

describe('bounded impact queries', () => {
  it('interrupts a query slower than the bound and reports it as not computed', async () => {
    const interrupt = vi.fn();
    const engine = { interrupt } as unknown as Engine;
    const slow = () => new Promise<{ address: string }>(() => {});
    const result = await bounded(engine, 20, { address: 'Audience/a' }, slow);
    expect(result).toEqual({ address: 'Audience/a', notComputed: 'not computed: exceeded 0.02 s' });
    expect(interrupt).toHaveBeenCalledOnce();
  });

  it('passes a fast result through and turns a query error into a reason', async () => {
    const engine = { interrupt: vi.fn() } as unknown as Engine;
    expect(await bounded(engine, 1000, { address: 'x' }, async () => ({ address: 'x', after: 3 }))).toEqual({
      address: 'x',
      after: 3,
    });
    const failed = await bounded(engine, 1000, { address: 'x' }, async () => {
      throw new Error('Catalog Error: no table\nmore');
    });
    expect(failed).toEqual({ address: 'x', notComputed: 'not computed: Catalog Error: no table' });
    expect(engine.interrupt).not.toHaveBeenCalled();
  });
});
