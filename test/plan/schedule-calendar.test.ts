import { describe, expect, it } from 'vitest';
import { nextDue, scheduleDue } from '../../src/plan/index.js';
import type { Schedule } from '../../src/schema/index.js';

// A simulated calendar: a CI cron calls `outflow run --due` at each tick; every due run succeeds
// at once and becomes the schedule's last run (and, for `every`, its anchor).
interface SimRun {
  tick: string;
  from?: string;
  to: string;
}

const HOUR = 3_600_000;

function ticks(startIso: string, count: number, stepMs = HOUR): Date[] {
  const start = Date.parse(startIso);
  return Array.from({ length: count }, (_, i) => new Date(start + i * stepMs));
}

function simulate(schedule: Schedule, at: Date[], timezone = 'UTC', lastRun?: string): SimRun[] {
  const runs: SimRun[] = [];
  let last = lastRun;
  let anchor: string | undefined = lastRun;
  for (const now of at) {
    const decision = scheduleDue({ schedule, enabled: true, now, lastRun: last, anchor, timezone });
    if (!decision.due) continue;
    let from = decision.from;
    for (const run of decision.runs) {
      runs.push({ tick: now.toISOString(), ...(from === undefined ? {} : { from }), to: run.to });
      from = run.to;
      last = run.to;
      anchor ??= run.to;
    }
  }
  return runs;
}

/** Windows chain: each run starts where the previous one ended (no gap, no overlap). */
function expectContiguous(runs: SimRun[]): void {
  for (let i = 1; i < runs.length; i++) expect(runs[i]!.from).toBe(runs[i - 1]!.to);
}

const iso = (s: string) => new Date(s).toISOString();
const quarterHours = (startIso: string, days: number) => ticks(startIso, days * 96, HOUR / 4);

describe('cron schedules across daylight-saving changes (croner 9)', () => {
  it('Europe/Paris spring forward: 02:30 does not exist on 2026-03-29 and runs once, at 03:30 CEST', () => {
    const runs = simulate({ cron: '30 2 * * *' }, quarterHours('2026-03-27T02:00:00Z', 3), 'Europe/Paris');
    expect(runs.map((r) => r.to)).toEqual([
      iso('2026-03-27T02:00:00Z'), // never ran: due at the first tick
      iso('2026-03-28T01:30:00Z'), // 02:30 CET
      iso('2026-03-29T01:30:00Z'), // 03:30 CEST (02:30 skipped by the clock change)
      iso('2026-03-30T00:30:00Z'), // 02:30 CEST
    ]);
    expectContiguous(runs);
  });

  it('Europe/Paris fall back: 02:30 happens twice on 2026-10-25 and runs once (the CET one)', () => {
    const runs = simulate({ cron: '30 2 * * *' }, quarterHours('2026-10-23T02:00:00Z', 3), 'Europe/Paris');
    expect(runs.map((r) => r.to).slice(1)).toEqual([
      iso('2026-10-24T00:30:00Z'), // 02:30 CEST
      iso('2026-10-25T01:30:00Z'), // 02:30 CET, the second 02:30 of the day; the first is not a tick
      iso('2026-10-26T01:30:00Z'),
    ]);
  });

  it('America/New_York spring forward: 02:30 on 2026-03-08 runs once, at 03:30 EDT', () => {
    const runs = simulate(
      { cron: '30 2 * * *' },
      quarterHours('2026-03-07T00:00:00Z', 3),
      'America/New_York',
    );
    expect(runs.map((r) => r.to).slice(1)).toEqual([
      iso('2026-03-07T07:30:00Z'), // 02:30 EST
      iso('2026-03-08T07:30:00Z'), // 03:30 EDT
      iso('2026-03-09T06:30:00Z'), // 02:30 EDT
    ]);
  });

  it('America/New_York fall back: 01:30 happens twice on 2026-11-01 and runs once (the EDT one)', () => {
    const runs = simulate(
      { cron: '30 1 * * *', timezone: 'America/New_York' },
      quarterHours('2026-10-31T00:00:00Z', 3),
    );
    expect(runs.map((r) => r.to).slice(1)).toEqual([
      iso('2026-10-31T05:30:00Z'), // 01:30 EDT
      iso('2026-11-01T05:30:00Z'), // 01:30 EDT; 01:30 EST (06:30Z) is not a tick
      iso('2026-11-02T06:30:00Z'), // 01:30 EST
    ]);
  });

  it('an hourly cron skips the repeated hour on a fall-back day (none doubled)', () => {
    const runs = simulate({ cron: '0 * * * *' }, quarterHours('2026-11-01T04:00:00Z', 1), 'America/New_York');
    // From 00:00 EDT for 24 hours: 25 wall-clock hours, of which 01:00 EST is not a tick.
    expect(runs).toHaveLength(23); // the first run (never ran) + 22 ticks
    expect(runs.map((r) => r.to)).not.toContain(iso('2026-11-01T06:00:00Z'));
  });
});

describe('month ends', () => {
  it('day 31 runs only in months that have one; L runs on the last day of every month', () => {
    const hourly = ticks('2026-01-01T00:00:00Z', 24 * 120);
    const day31 = simulate({ cron: '0 6 31 * *' }, hourly).slice(1);
    expect(day31.map((r) => r.to)).toEqual([iso('2026-01-31T06:00:00Z'), iso('2026-03-31T06:00:00Z')]);
    const last = simulate({ cron: '0 6 L * *' }, hourly).slice(1);
    expect(last.map((r) => r.to)).toEqual([
      iso('2026-01-31T06:00:00Z'),
      iso('2026-02-28T06:00:00Z'),
      iso('2026-03-31T06:00:00Z'),
      iso('2026-04-30T06:00:00Z'),
    ]);
  });
});

describe('every: Nh, anchored to the first run', () => {
  it('keeps the slots of the first run when a tick is late', () => {
    const at = [
      ...ticks('2026-11-16T09:17:00Z', 5),
      new Date('2026-11-16T13:40:00Z'),
      ...ticks('2026-11-16T14:17:00Z', 8),
    ];
    const runs = simulate(
      { every: '4h' },
      at.sort((a, b) => a.getTime() - b.getTime()),
    );
    // First run 09:17, so the slots are 09:17 + 4h·k; the extra 13:40 tick finds nothing due.
    expect(runs.map((r) => r.to)).toEqual([
      iso('2026-11-16T09:17:00Z'),
      iso('2026-11-16T13:17:00Z'),
      iso('2026-11-16T17:17:00Z'),
      iso('2026-11-16T21:17:00Z'),
    ]);
    const late = simulate({ every: '4h' }, [
      new Date('2026-11-16T08:00:00Z'),
      new Date('2026-11-16T12:40:00Z'), // 40 minutes late
      new Date('2026-11-16T15:59:00Z'),
      new Date('2026-11-16T16:00:00Z'),
    ]);
    expect(late.map((r) => r.to)).toEqual([
      iso('2026-11-16T08:00:00Z'),
      iso('2026-11-16T12:40:00Z'),
      iso('2026-11-16T16:00:00Z'), // back on the 08:00 + 4h·k slots, not 16:40
    ]);
    expectContiguous(late);
  });

  it('nextDue names the next slot', () => {
    const base = { schedule: { every: '4h' } as Schedule, enabled: true, timezone: 'UTC' };
    const now = new Date('2026-11-16T13:00:00Z');
    expect(
      nextDue({ ...base, now, lastRun: '2026-11-16T12:40:00.000Z', anchor: '2026-11-16T08:00:00.000Z' }),
    ).toEqual(new Date('2026-11-16T16:00:00Z'));
    expect(nextDue({ ...base, now, lastRun: undefined })).toEqual(now);
    expect(nextDue({ ...base, now, lastRun: undefined, enabled: false })).toBeUndefined();
    expect(
      nextDue({ ...base, schedule: { once: {} }, now, lastRun: '2026-11-16T12:40:00.000Z' }),
    ).toBeUndefined();
    expect(
      nextDue({
        ...base,
        schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' },
        now,
        lastRun: now.toISOString(),
      }),
    ).toEqual(new Date('2026-11-17T02:00:00Z'));
  });
});

describe('a 3-day outage', () => {
  // Hourly ticks Monday 00:00 → Tuesday 10:00, nothing until Friday 10:00, then hourly again.
  const before = ticks('2026-11-16T00:00:00Z', 35);
  const after = ticks('2026-11-20T10:00:00Z', 6);
  const calendar = [...before, ...after];

  it('every 4h, catchUp skip: one run on return covers the whole gap, then back on the slots', () => {
    const runs = simulate({ every: '4h' }, calendar);
    const back = runs.filter((r) => r.tick >= iso('2026-11-20T10:00:00Z'));
    expect(back).toEqual([
      {
        tick: iso('2026-11-20T10:00:00Z'),
        from: iso('2026-11-17T08:00:00Z'),
        to: iso('2026-11-20T10:00:00Z'),
      },
      {
        tick: iso('2026-11-20T12:00:00Z'),
        from: iso('2026-11-20T10:00:00Z'),
        to: iso('2026-11-20T12:00:00Z'),
      },
    ]);
    expectContiguous(runs);
  });

  it('every 4h, catchUp all: one run per missed slot, each window ending at its slot', () => {
    const runs = simulate({ every: '4h', catchUp: 'all' }, calendar);
    const back = runs.filter((r) => r.tick === iso('2026-11-20T10:00:00Z'));
    expect(back).toHaveLength(18); // Tue 12:00 … Fri 08:00, every 4 hours
    expect(back[0]).toEqual({
      tick: iso('2026-11-20T10:00:00Z'),
      from: iso('2026-11-17T08:00:00Z'),
      to: iso('2026-11-17T12:00:00Z'),
    });
    expect(back.at(-1)?.to).toBe(iso('2026-11-20T08:00:00Z'));
    expect(runs.at(-1)?.to).toBe(iso('2026-11-20T12:00:00Z'));
    expectContiguous(runs);
  });

  it('daily cron in Paris: skip runs once for the three missed days, all runs three times', () => {
    const skip = simulate({ cron: '0 3 * * *', timezone: 'Europe/Paris' }, calendar);
    expect(skip.map((r) => r.to)).toEqual([
      iso('2026-11-16T00:00:00Z'),
      iso('2026-11-16T02:00:00Z'),
      iso('2026-11-17T02:00:00Z'),
      iso('2026-11-20T10:00:00Z'), // Wed, Thu and Fri 03:00 missed: one run now
    ]);
    const all = simulate({ cron: '0 3 * * *', timezone: 'Europe/Paris', catchUp: 'all' }, calendar);
    expect(all.map((r) => r.to).slice(3)).toEqual([
      iso('2026-11-18T02:00:00Z'),
      iso('2026-11-19T02:00:00Z'),
      iso('2026-11-20T02:00:00Z'),
    ]);
    expectContiguous(skip);
    expectContiguous(all);
  });
});

describe('doubled and repeated ticks', () => {
  it('a tick that fires twice (or two CI jobs at the same minute) runs nothing twice', () => {
    const single = ticks('2026-11-16T00:00:00Z', 72);
    const doubled = single.flatMap((t) => [t, t, new Date(t.getTime() + 1000)]);
    for (const schedule of [
      { every: '4h' },
      { every: '1h', catchUp: 'all' as const },
      { cron: '*/30 * * * *', timezone: 'Europe/Paris' },
      { once: { lookback: '45d' } },
    ] as Schedule[]) {
      const once = simulate(schedule, single);
      const twice = simulate(schedule, doubled);
      expect(twice.map((r) => r.to)).toEqual(once.map((r) => r.to));
      expectContiguous(twice);
    }
  });

  it('enabled: false never runs; once runs on the first tick only', () => {
    expect(
      scheduleDue({
        schedule: { every: '1h' },
        enabled: false,
        now: new Date(),
        lastRun: undefined,
        timezone: 'UTC',
      }).due,
    ).toBe(false);
    expect(simulate({ once: {} }, ticks('2026-11-16T00:00:00Z', 48))).toHaveLength(1);
  });
});
