import { Cron } from 'croner';
import { durationMs } from '../model/index.js';
import type { Schedule } from '../schema/index.js';
import { formatTime } from './format-value.js';

/** Whether a scheduled export or activation should run at `now`, and why (or why not). */
export type DueDecision =
  | {
      due: true;
      reason: string /** Start of the window (exclusive); absent for "everything". */;
      from?: string;
    }
  | { due: false; reason: string };

export interface DueInput {
  schedule: Schedule | undefined;
  enabled: boolean;
  now: Date;
  /** `window.to` of the last successful run (or sync); undefined when it never ran. */
  lastRun: string | undefined;
  /** The zone cron schedules without their own `timezone` are evaluated in. */
  timezone: string;
}

/**
 * `once` is due until it has run; `every: Nh` when the last run is at least N hours old;
 * `cron` when a tick fell in (last run, now]; anything never run is due; `enabled: false` never.
 */
export function scheduleDue(input: DueInput): DueDecision {
  const { schedule, now, lastRun } = input;
  if (!input.enabled) return { due: false, reason: 'schedule off (enabled: false)' };
  if (schedule === undefined) return { due: false, reason: 'no schedule (run it with outflow run)' };
  const last = lastRun === undefined ? 'never ran' : `last run ${formatTime(lastRun)}`;
  const since = lastRun === undefined ? {} : { from: lastRun };
  if ('once' in schedule) {
    if (lastRun !== undefined) return { due: false, reason: `once: already ran (${formatTime(lastRun)})` };
    const lookback = schedule.once.lookback;
    const from =
      lookback === undefined ? {} : { from: new Date(now.getTime() - durationMs(lookback)).toISOString() };
    return {
      due: true,
      reason: `schedule due: once${lookback === undefined ? '' : ` (lookback ${lookback})`}, never ran`,
      ...from,
    };
  }
  if ('every' in schedule) {
    const label = `every ${schedule.every}`;
    if (lastRun === undefined) return { due: true, reason: `schedule due: ${label}, never ran` };
    const elapsed = now.getTime() - Date.parse(lastRun);
    return elapsed >= durationMs(schedule.every)
      ? { due: true, reason: `schedule due: ${label}, ${last}`, ...since }
      : { due: false, reason: `not due: ${label}, ${last}` };
  }
  const timezone = schedule.timezone ?? input.timezone;
  const label = `cron "${schedule.cron}" (${timezone})`;
  if (lastRun === undefined) return { due: true, reason: `schedule due: ${label}, never ran` };
  const tick = nextTick(schedule.cron, timezone, lastRun);
  if (tick !== null && tick.getTime() <= now.getTime())
    return {
      due: true,
      reason: `schedule due: ${label} ticked at ${formatTime(tick.toISOString())}, ${last}`,
      ...since,
    };
  return { due: false, reason: `not due: ${label}, ${last}` };
}

// Croner's time-zone arithmetic is slow next to everything else in a plan, and many exports share
// one schedule and one last run; the answer depends only on these three, so remember it.
const ticks = new Map<string, Date | null>();

function nextTick(cron: string, timezone: string, after: string): Date | null {
  const key = `${cron}\0${timezone}\0${after}`;
  let tick = ticks.get(key);
  if (tick === undefined) {
    if (ticks.size > 10_000) ticks.clear();
    tick = new Cron(cron, { paused: true, timezone }).nextRun(new Date(after));
    ticks.set(key, tick);
  }
  return tick;
}
