import { describe, expect, it } from 'vitest';
import { exportRunId, scheduleDue } from '../../src/plan/index.js';

const now = new Date('2026-11-20T12:00:00Z');
const due = (schedule: Parameters<typeof scheduleDue>[0]['schedule'], lastRun?: string, enabled = true) =>
  scheduleDue({ schedule, enabled, now, lastRun, timezone: 'Europe/Paris' });

describe('scheduleDue', () => {
  it('every: due once N hours have passed since the last successful run, or when it never ran', () => {
    expect(due({ every: '4h' })).toEqual({ due: true, reason: 'schedule due: every 4h, never ran' });
    expect(due({ every: '4h' }, '2026-11-20T08:00:00.000Z')).toEqual({
      due: true,
      reason: 'schedule due: every 4h, last run 2026-11-20T08:00Z',
      from: '2026-11-20T08:00:00.000Z',
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
