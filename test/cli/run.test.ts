import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { EXTRA_EXPORTS, eventFile, makeProject, publishedUserIds, readState, runsOf } from './run-support.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-16T00:00:00Z'); // a Monday
const END = T0 + 7 * 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** Distinct slots (anchor + k·step) that some tick reached: with catchUp skip, one run each. */
function slotsReached(ticks: number[], anchor: number, step: number): number {
  return new Set(ticks.map((t) => Math.floor((t - anchor) / step))).size;
}

describe('outflow run through a simulated week', () => {
  it('runs each due export exactly once per slot and exports every event row exactly once', {
    timeout: 120_000,
  }, async () => {
    const dir = makeProject(EXTRA_EXPORTS);
    const cli = (...args: string[]) => runCli(['-C', dir, ...args], { env: { CI: 'true' } });
    const written: number[] = [...eventFile(dir, 'events-000', 50, new Date(T0 - HOUR))];
    const first = await cli('apply', '--auto-approve', '--now', iso(T0));
    expect(first.code, first.stderr).toBe(0);

    // A CI cron every 5 hours for a week (off the 4h slots); down from Wednesday 06:00 to Thursday 10:00; some ticks doubled.
    const ticks: number[] = [T0];
    for (let t = T0 + 5 * HOUR; t < END; t += 5 * HOUR) {
      if (t >= T0 + 54 * HOUR && t < T0 + 82 * HOUR) continue;
      ticks.push(t);
    }
    let file = 1;
    for (const [i, t] of ticks.slice(1).entries()) {
      if (i % 2 === 0)
        written.push(...eventFile(dir, `events-${String(file++).padStart(3, '0')}`, 20, new Date(t - HOUR)));
      // Late events: old timestamps, arriving now; incremental means "ingested since the last run".
      if (i % 6 === 3)
        written.push(
          ...eventFile(dir, `late-${String(file++).padStart(3, '0')}`, 7, new Date(t - 9 * 24 * HOUR)),
        );
      const res = await cli('run', '--due', '--now', iso(t));
      expect(res.code, `${iso(t)}\n${res.stdout}\n${res.stderr}`).toBe(0);
      if (i % 5 === 0) {
        const again = await cli('run', '--due', '--now', iso(t)); // a doubled tick
        expect(again.stdout).toContain('Nothing due.');
      }
    }

    // Flush what arrived after the last due runs: run both incremental exports now, by name.
    const flush = await cli('run', 'events_out', 'events_daily', '--now', iso(END));
    expect(flush.code, flush.stderr).toBe(0);

    // Every event exactly once in each incremental export, across all of its manifests.
    const all = [...written].sort((a, b) => a - b);
    for (const name of ['events_out', 'events_daily']) expect(publishedUserIds(dir, name).ids).toEqual(all);

    // events_out: every 4h anchored to T0, catchUp skip: one run per slot a tick reached, windows chained.
    const every = runsOf(dir, 'events_out');
    expect(every).toHaveLength(slotsReached(ticks, T0, 4 * HOUR) + 1);
    for (let i = 1; i < every.length; i++) expect(every[i]!.window.from).toBe(every[i - 1]!.window.to);
    expect(new Set(every.map((r) => r.runId)).size).toBe(every.length);
    expect(publishedUserIds(dir, 'events_out').manifests).toBe(every.length);

    // buyers_daily: 03:00 Paris (02:00Z), catchUp skip: one run per day a tick reached after 02:00Z.
    const daily = runsOf(dir, 'buyers_daily');
    expect(daily).toHaveLength(slotsReached(ticks, T0 + 2 * HOUR - 24 * HOUR, 24 * HOUR));

    // events_daily: 06:00 UTC, catchUp all: the first run, then every 06:00 of the week exactly once,
    // the outage's Thursday 06:00 included (replayed at 10:00 with its own window).
    const catchUp = runsOf(dir, 'events_daily').map((r) => r.window.to);
    const sixes = Array.from({ length: 7 }, (_, d) => iso(T0 + (d * 24 + 6) * HOUR));
    expect(catchUp).toEqual([iso(T0), ...sixes, iso(END)]);
    expect(runsOf(dir, 'events_daily').find((r) => r.window.to === sixes[3])?.startedAt).toBeDefined();

    const status = await cli('status', '--now', iso(END));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/events_out\s+dataOut\s+local_out\s+every 4h\s+yes/);
    expect(status.stdout).toMatch(/buyers_daily\s+segment\s+local_out\s+daily at 03:00 Europe\/Paris/);
    const json = JSON.parse((await cli('status', '--format', 'json', '--now', iso(END))).stdout) as {
      rows: { name: string; nextDue?: string }[];
    };
    expect(json.rows.find((r) => r.name === 'events_daily')?.nextDue).toBe(iso(T0 + (7 * 24 + 6) * HOUR));
    const runs = await cli('runs', 'events_out');
    expect(runs.stdout).toContain(`out/${every[0]!.manifest}`);
  });
});

describe('outflow run guards', () => {
  it('refuses with the diff when the YAML differs from what was applied', async () => {
    const dir = makeProject();
    eventFile(dir, 'events-000', 5, new Date(T0));
    expect((await runCli(['-C', dir, 'run', '--now', iso(T0)])).stderr).toContain(
      'nothing has been applied yet',
    );
    expect((await runCli(['-C', dir, 'apply', '--auto-approve', '--now', iso(T0)])).code).toBe(0);
    const path = join(dir, 'flows', 'exports.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('schedule: {every: 4h}', 'schedule: {every: 6h}'));
    const serial = readState(dir).serial;
    const res = await runCli(['-C', dir, 'run', '--now', iso(T0 + 8 * HOUR)]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('~ Export/events_out');
    expect(res.stdout).toContain('schedule.every: 4h → 6h');
    expect(res.stderr).toContain('run outflow plan / outflow apply first');
    expect(readState(dir).serial).toBe(serial);
  });

  it('runs a named export now, refuses a disabled one without --force, suggests for a typo', async () => {
    const extra = EXTRA_EXPORTS.replace('catchUp: all}', 'catchUp: all}\nenabled: false');
    const dir = makeProject(extra);
    eventFile(dir, 'events-000', 5, new Date(T0));
    expect((await runCli(['-C', dir, 'apply', '--auto-approve', '--now', iso(T0)])).code).toBe(0);
    expect(runsOf(dir, 'events_daily')).toHaveLength(0);
    const now = iso(T0 + HOUR);
    const named = await runCli(['-C', dir, 'run', 'events_out', '--now', now]);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain('run now (named)');
    expect(runsOf(dir, 'events_out')).toHaveLength(2);
    const disabled = await runCli(['-C', dir, 'run', 'events_daily', '--now', now]);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toContain('Export/events_daily is disabled (enabled: false)');
    expect((await runCli(['-C', dir, 'run', 'events_daily', '--force', '--now', now])).code).toBe(0);
    expect(runsOf(dir, 'events_daily')).toHaveLength(1);
    const typo = await runCli(['-C', dir, 'run', 'events_dayly', '--now', now]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('did you mean "events_daily"?');
  });

  it('limits.maxRows with onExceed: skip records a skipped run and keeps the watermark; warn runs', async () => {
    const extra = `${EXTRA_EXPORTS.replace('catchUp: all}', 'catchUp: all}\nlimits: {maxRows: 10, onExceed: skip}')}---
kind: Export
name: events_warned
type: dataOut
from: {dataflow: events}
destination: local_out
format: ndjson
path: "{export}/{runId}/{export}-{index}.{ext}"
schedule: {every: 24h}
limits: {maxRows: 10}
`;
    const dir = makeProject(extra);
    eventFile(dir, 'events-000', 25, new Date(T0));
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', iso(T0)]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('skipped: 25 rows exceed limits.maxRows 10');
    const [skipped] = runsOf(dir, 'events_daily');
    expect(skipped).toMatchObject({ status: 'skipped', rows: 25, files: [], manifest: '' });
    expect(readState(dir).resources['Export/events_daily']?.data?.watermark).toBeUndefined();
    expect(runsOf(dir, 'events_warned')[0]).toMatchObject({ status: 'succeeded', rows: 25 });
    expect(runsOf(dir, 'events_warned')[0]?.reason).toContain('onExceed: warn');
    const status = await runCli(['-C', dir, 'status', '--now', iso(T0 + HOUR)]);
    expect(status.stdout).toMatch(/events_daily .* skipped\s+25/);
  });
});
