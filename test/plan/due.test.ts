import { describe, expect, it } from 'vitest';
import type { ResolvedExport } from '../../src/model/index.js';
import { withDefaults } from '../../src/model/index.js';
import { exportDataHash, exportDueInput, exportRunId, scheduleDue } from '../../src/plan/index.js';
import { reasonText } from '../../src/render/index.js';

const now = new Date('2026-11-20T12:00:00Z');
const due = (schedule: Parameters<typeof scheduleDue>[0]['schedule'], lastRun?: string, enabled = true) =>
  scheduleDue({ schedule, enabled, now, lastRun, timezone: 'Europe/Paris' });

describe('scheduleDue', () => {
  it('every: due once N hours have passed since the last successful run, or when it never ran', () => {
    const never = due({ every: '4h' });
    expect(never).toMatchObject({ due: true, reason: { code: 'schedule-due', schedule: { every: '4h' } } });
    expect(reasonText(never.reason)).toBe('schedule due: every 4h, never ran');
    const reason = { code: 'schedule-due', schedule: { every: '4h' }, lastRun: '2026-11-20T08:00:00.000Z' };
    const decision = due({ every: '4h' }, '2026-11-20T08:00:00.000Z');
    expect(decision).toEqual({
      due: true,
      reason,
      from: '2026-11-20T08:00:00.000Z',
      runs: [{ to: now.toISOString(), reason }],
    });
    expect(reasonText(decision.reason)).toBe('schedule due: every 4h, last run 2026-11-20T08:00Z');
    const early = due({ every: '4h' }, '2026-11-20T08:00:01.000Z');
    expect(early.due).toBe(false);
    expect(reasonText(early.reason)).toBe('not due: every 4h, last run 2026-11-20T08:00:01Z');
  });

  it('cron: due when a tick fell in (last run, now], in the schedule or project time zone', () => {
    // 03:00 Paris is 02:00 UTC in November.
    const ticked = due({ cron: '0 3 * * *' }, '2026-11-19T02:00:00.000Z');
    expect(ticked).toMatchObject({
      due: true,
      reason: {
        code: 'schedule-due',
        schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' },
        tick: '2026-11-20T02:00:00.000Z',
        lastRun: '2026-11-19T02:00:00.000Z',
      },
    });
    expect(reasonText(ticked.reason)).toBe(
      'schedule due: cron "0 3 * * *" (Europe/Paris) ticked at 2026-11-20T02:00Z, last run 2026-11-19T02:00Z',
    );
    expect(due({ cron: '0 3 * * *' }, '2026-11-20T02:00:00.000Z').due).toBe(false);
    expect(due({ cron: '0 13 * * *', timezone: 'UTC' }, '2026-11-19T13:00:00.000Z').due).toBe(false);
    expect(due({ cron: '0 13 * * *', timezone: 'Asia/Tokyo' }, '2026-11-19T04:00:00.000Z').due).toBe(true);
    expect(due({ cron: '0 3 * * *' }).due).toBe(true);
  });

  it('once: due until it ran; the window reaches back by the lookback', () => {
    const reason = { code: 'schedule-due', schedule: { once: { lookback: '30d' } } };
    const first = due({ once: { lookback: '30d' } });
    expect(first).toEqual({
      due: true,
      reason,
      from: '2026-10-21T12:00:00.000Z',
      runs: [{ to: now.toISOString(), reason }],
    });
    expect(reasonText(first.reason)).toBe('schedule due: once (lookback 30d), never ran');
    const again = due({ once: {} }, '2026-11-01T00:00:00.000Z');
    expect(again).toEqual({
      due: false,
      reason: { code: 'once-already-ran', lastRun: '2026-11-01T00:00:00.000Z' },
    });
    expect(reasonText(again.reason)).toBe('once: already ran (2026-11-01T00:00Z)');
  });

  it('never due when disabled or unscheduled', () => {
    const off = due({ every: '1h' }, undefined, false);
    expect(off).toEqual({ due: false, reason: { code: 'schedule-off' } });
    expect(reasonText(off.reason)).toBe('schedule off (enabled: false)');
    expect(due(undefined)).toEqual({ due: false, reason: { code: 'no-schedule' } });
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
  const resolved = (c: Record<string, unknown>) => withDefaults('Export', c) as unknown as ResolvedExport;
  const config = resolved({
    kind: 'Export',
    name: 'once_export',
    type: 'segment',
    from: { dataflow: 'events' },
    destination: 'out',
    format: 'csv',
    schedule: { once: { lookback: '45d' } },
  });
  const run = (dataHash: string | undefined, status: 'succeeded' | 'skipped' | 'failed' = 'succeeded') => ({
    runId: 'r1',
    status,
    startedAt: '2026-11-19T00:00:00.000Z',
    finishedAt: '2026-11-19T00:00:01.000Z',
    window: { to: '2026-11-19T00:00:00.000Z' },
    rows: 1,
    files: [],
    bytes: 0,
    manifest: '',
    ...(dataHash === undefined ? {} : { dataHash }),
  });
  const input = (c: ResolvedExport, runs: ReturnType<typeof run>[]) =>
    exportDueInput(c, { runs }, now, 'UTC');

  it('once: runs again only when the config it ran under changed (description and labels aside)', () => {
    const hash = exportDataHash(config);
    expect(scheduleDue(input(config, [run(hash)])).due).toBe(false);
    expect(scheduleDue(input(resolved({ ...config, description: 'edited' }), [run(hash)])).due).toBe(false);
    expect(scheduleDue(input(resolved({ ...config, fields: ['userid'] }), [run(hash)])).due).toBe(true);
    expect(scheduleDue(input(config, [run(hash, 'failed')])).due).toBe(true);
    expect(scheduleDue(input(config, [run(hash, 'skipped')])).due).toBe(false);
    expect(scheduleDue(input(config, [run(undefined)])).due).toBe(false); // runs recorded before hashes
  });

  it('once: writing out a default (enabled: true, mode, compression) is not a config change', () => {
    // Regression: the run hash was taken over the raw config, so `enabled: true` made it due again.
    const hash = exportDataHash(config);
    const explicit = resolved({
      ...config,
      enabled: true,
      mode: 'incremental',
      compression: 'none',
      manifest: true,
    });
    expect(exportDataHash(explicit)).toBe(hash);
    expect(scheduleDue(input(explicit, [run(hash)])).due).toBe(false);
  });

  it('every: the anchor belongs to one interval; a new interval starts from its first run', () => {
    const every = resolved({ ...config, schedule: { every: '4h' } });
    const anchor = { every: '4h', at: '2026-11-18T22:00:00.000Z' };
    expect(exportDueInput(every, { scheduleAnchor: anchor }, now, 'UTC').anchor).toBe(anchor.at);
    const six = resolved({ ...config, schedule: { every: '6h' } });
    expect(exportDueInput(six, { scheduleAnchor: anchor }, now, 'UTC').anchor).toBeUndefined();
  });
});
