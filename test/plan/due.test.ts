import { describe, expect, it } from 'vitest';
import { exportDueInput, exportRunId, runConfigHash, scheduleDue } from '../../src/plan/index.js';
import type { Export } from '../../src/schema/index.js';

const now = new Date('2026-11-20T12:00:00Z');
const due = (schedule: Parameters<typeof scheduleDue>[0]['schedule'], lastRun?: string, enabled = true) =>
  scheduleDue({ schedule, enabled, now, lastRun, timezone: 'Europe/Paris' });

describe('scheduleDue', () => {
  it('every: due once N hours have passed since the last successful run, or when it never ran', () => {
    expect(due({ every: '4h' })).toMatchObject({ due: true, reason: 'schedule due: every 4h, never ran' });
    expect(due({ every: '4h' }, '2026-11-20T08:00:00.000Z')).toEqual({
      due: true,
      reason: 'schedule due: every 4h, last run 2026-11-20T08:00Z',
      from: '2026-11-20T08:00:00.000Z',
      runs: [{ to: now.toISOString(), reason: 'schedule due: every 4h, last run 2026-11-20T08:00Z' }],
    });
    expect(due({ every: '4h' }, '2026-11-20T08:00:01.000Z').due).toBe(false);
  });

  it('cron: due when a tick fell in (last run, now], in the schedule or project time zone', () => {
    // 03:00 Paris is 02:00 UTC in November.
    expect(due({ cron: '0 3 * * *' }, '2026-11-19T02:00:00.000Z')).toMatchObject({
      due: true,
      reason:
        'schedule due: cron "0 3 * * *" (Europe/Paris) ticked at 2026-11-20T02:00Z, last run 2026-11-19T02:00Z',
    });
    expect(due({ cron: '0 3 * * *' }, '2026-11-20T02:00:00.000Z').due).toBe(false);
    expect(due({ cron: '0 13 * * *', timezone: 'UTC' }, '2026-11-19T13:00:00.000Z').due).toBe(false);
    expect(due({ cron: '0 13 * * *', timezone: 'Asia/Tokyo' }, '2026-11-19T04:00:00.000Z').due).toBe(true);
    expect(due({ cron: '0 3 * * *' }).due).toBe(true);
  });

  it('once: due until it ran; the window reaches back by the lookback', () => {
    expect(due({ once: { lookback: '30d' } })).toEqual({
      due: true,
      reason: 'schedule due: once (lookback 30d), never ran',
      from: '2026-10-21T12:00:00.000Z',
      runs: [{ to: now.toISOString(), reason: 'schedule due: once (lookback 30d), never ran' }],
    });
    expect(due({ once: {} }, '2026-11-01T00:00:00.000Z').due).toBe(false);
  });

  it('never due when disabled or unscheduled', () => {
    expect(due({ every: '1h' }, undefined, false)).toEqual({
      due: false,
      reason: 'schedule off (enabled: false)',
    });
    expect(due(undefined).due).toBe(false);
  });
});

describe('exportRunId', () => {
  it('is deterministic per export and window', () => {
    const w = { from: '2026-11-20T08:00:00.000Z', to: '2026-11-20T12:00:00.000Z' };
    const id = exportRunId('buyers', w);
    expect(id).toMatch(/^20261120T120000Z-[0-9a-f]{8}$/);
    expect(exportRunId('buyers', { ...w })).toBe(id);
    expect(exportRunId('sellers', w)).not.toBe(id);
    expect(exportRunId('buyers', { to: w.to })).not.toBe(id);
  });
});

describe('exportDueInput', () => {
  const config = {
    kind: 'Export',
    name: 'once_export',
    type: 'segment',
    from: { dataflow: 'events' },
    destination: 'out',
    format: 'csv',
    schedule: { once: { lookback: '45d' } },
  } as unknown as Export;
  const run = (configHash: string | undefined, status: 'succeeded' | 'skipped' | 'failed' = 'succeeded') => ({
    runId: 'r1',
    status,
    startedAt: '2026-11-19T00:00:00.000Z',
    finishedAt: '2026-11-19T00:00:01.000Z',
    window: { to: '2026-11-19T00:00:00.000Z' },
    rows: 1,
    files: [],
    bytes: 0,
    manifest: '',
    ...(configHash === undefined ? {} : { configHash }),
  });
  const input = (c: Export, runs: ReturnType<typeof run>[]) => exportDueInput(c, { runs }, now, 'UTC');

  it('once: runs again only when the config it ran under changed (description and labels aside)', () => {
    const hash = runConfigHash(config);
    expect(scheduleDue(input(config, [run(hash)])).due).toBe(false);
    expect(scheduleDue(input({ ...config, description: 'edited' }, [run(hash)])).due).toBe(false);
    expect(scheduleDue(input({ ...config, fields: ['userid'] }, [run(hash)])).due).toBe(true);
    expect(scheduleDue(input(config, [run(hash, 'failed')])).due).toBe(true);
    expect(scheduleDue(input(config, [run(hash, 'skipped')])).due).toBe(false);
    expect(scheduleDue(input(config, [run(undefined)])).due).toBe(false); // runs recorded before hashes
  });

  it('every: the anchor belongs to one interval; a new interval starts from its first run', () => {
    const every = { ...config, schedule: { every: '4h' } } as Export;
    const anchor = { every: '4h', at: '2026-11-18T22:00:00.000Z' };
    expect(exportDueInput(every, { scheduleAnchor: anchor }, now, 'UTC').anchor).toBe(anchor.at);
    const six = { ...config, schedule: { every: '6h' } } as Export;
    expect(exportDueInput(six, { scheduleAnchor: anchor }, now, 'UTC').anchor).toBeUndefined();
  });
});
