import { Cron } from 'croner';
import { durationMs } from '../model/index.js';
import type { Schedule } from '../schema/index.js';
import type { CatchUpRunReason, NotDueReason, ScheduleDueReason, ScheduleRef } from './reasons.js';

/** One run a due schedule asks for: the end of its window (the run's `now`) and why. */
export interface DueRun {
  to: string;
  reason: ScheduleDueReason | CatchUpRunReason;
}

/** Whether a scheduled export or activation should run at `now`, and why (or why not). */
export type DueDecision =
  | {
      due: true;
      reason: ScheduleDueReason;
      /** Start of the first run's window (exclusive); absent for "everything". */
      from?: string;
      /** One entry per run, oldest first: one for `catchUp: skip`, one per missed slot for `all`. */
      runs: DueRun[];
    }
  | { due: false; reason: NotDueReason };

export interface DueInput {
  schedule: Schedule | undefined;
  enabled: boolean;
  now: Date;
  /**
   * `window.to` of the last run that counts for the schedule (succeeded or skipped); for `once`,
   * the last such run under the current config. Undefined when it never ran.
   */
  lastRun: string | undefined;
  /** `every`: when the current interval first ran; slots are anchor + k·N (defaults to lastRun). */
  anchor?: string | undefined;
  /** The zone cron schedules without their own `timezone` are evaluated in. */
  timezone: string;
}

/** At most this many catch-up runs at once (`catchUp: all`); older missed slots fold into the first. */
export const MAX_CATCH_UP_RUNS = 100;

/**
 * `once` is due until it has run under its current config; `every: Nh` when a slot
 * (anchor + k·N hours) fell in (last run, now]; `cron` when a tick fell in (last run, now];
 * anything never run is due; `enabled: false` never. Missed slots give one run (`catchUp: skip`,
 * ending at `now`) or one run per slot (`catchUp: all`, each ending at its slot).
 */
export function scheduleDue(input: DueInput): DueDecision {
  const { schedule, now, lastRun } = input;
  if (!input.enabled) return { due: false, reason: { code: 'schedule-off' } };
  if (schedule === undefined) return { due: false, reason: { code: 'no-schedule' } };
  const nowIso = now.toISOString();
  const ref = scheduleRef(schedule, input.timezone);
  if ('once' in schedule) {
    if (lastRun !== undefined) return { due: false, reason: { code: 'once-already-ran', lastRun } };
    const lookback = schedule.once.lookback;
    const reason: ScheduleDueReason = { code: 'schedule-due', schedule: ref };
    const from =
      lookback === undefined ? {} : { from: new Date(now.getTime() - durationMs(lookback)).toISOString() };
    return { due: true, reason, ...from, runs: [{ to: nowIso, reason }] };
  }
  if (lastRun === undefined) {
    const reason: ScheduleDueReason = { code: 'schedule-due', schedule: ref };
    return { due: true, reason, runs: [{ to: nowIso, reason }] };
  }
  const slots = missedSlots(schedule, input, lastRun);
  if (slots.length === 0) return { due: false, reason: { code: 'not-due', schedule: ref, lastRun } };
  // A cron's reason names the tick; an `every` slot is plain from the interval and the last run.
  const tick = (slot: string) => ('cron' in schedule ? { tick: slot } : {});
  if (schedule.catchUp !== 'all') {
    const missed = slots.length === 1 ? {} : { missedSlots: slots.length };
    const reason: ScheduleDueReason = {
      code: 'schedule-due',
      schedule: ref,
      lastRun,
      ...tick(slots[0]!),
      ...missed,
    };
    return { due: true, reason, from: lastRun, runs: [{ to: nowIso, reason }] };
  }
  const kept = slots.slice(-MAX_CATCH_UP_RUNS);
  if (kept.length === 1) {
    const reason: ScheduleDueReason = { code: 'schedule-due', schedule: ref, lastRun, ...tick(kept[0]!) };
    return { due: true, reason, from: lastRun, runs: [{ to: kept[0]!, reason }] };
  }
  const runs = kept.map((to, i) => ({
    to,
    reason: { code: 'catch-up-run', schedule: ref, run: i + 1, of: kept.length, slot: to } as const,
  }));
  return {
    due: true,
    reason: { code: 'catch-up', schedule: ref, lastRun, missedSlots: kept.length },
    from: lastRun,
    runs,
  };
}

/**
 * When the schedule next wants to run after its last run (undefined: never again). A time at or
 * before `now` means it is due now.
 */
export function nextDue(input: DueInput): Date | undefined {
  const { schedule, lastRun } = input;
  if (!input.enabled || schedule === undefined) return undefined;
  if (lastRun === undefined) return input.now;
  if ('once' in schedule) return undefined;
  if ('every' in schedule) {
    const step = durationMs(schedule.every);
    const anchor = Date.parse(input.anchor ?? lastRun);
    const k = Math.floor((Date.parse(lastRun) - anchor) / step);
    return new Date(anchor + (k + 1) * step);
  }
  return nextTick(schedule.cron, schedule.timezone ?? input.timezone, lastRun) ?? undefined;
}

/** The schedule as reasons name it: a cron carries the zone it is evaluated in. */
function scheduleRef(schedule: Schedule, timezone: string): ScheduleRef {
  if ('once' in schedule)
    return { once: schedule.once.lookback === undefined ? {} : { lookback: schedule.once.lookback } };
  return 'every' in schedule
    ? { every: schedule.every }
    : { cron: schedule.cron, timezone: schedule.timezone ?? timezone };
}

// Slot times in (lastRun, now], oldest first; only the newest MAX_CATCH_UP_RUNS + 1 are returned.
function missedSlots(
  schedule: Exclude<Schedule, { once: unknown }>,
  input: DueInput,
  lastRun: string,
): string[] {
  const now = input.now.getTime();
  const out: string[] = [];
  if ('every' in schedule) {
    const step = durationMs(schedule.every);
    const anchor = Date.parse(input.anchor ?? lastRun);
    const kLast = Math.floor((Date.parse(lastRun) - anchor) / step);
    const kNow = Math.floor((now - anchor) / step);
    for (let k = Math.max(kLast + 1, kNow - MAX_CATCH_UP_RUNS); k <= kNow; k++)
      out.push(new Date(anchor + k * step).toISOString());
    return out;
  }
  const timezone = schedule.timezone ?? input.timezone;
  let after = lastRun;
  // Every tick is walked (an hourly cron down for a month is ~720 steps); only the newest are kept.
  for (let i = 0; i < 20_000; i++) {
    const tick = nextTick(schedule.cron, timezone, after);
    if (tick === null || tick.getTime() > now) break;
    after = tick.toISOString();
    out.push(after);
  }
  return out.slice(-(MAX_CATCH_UP_RUNS + 1));
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
