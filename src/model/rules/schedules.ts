import { Cron } from 'croner';
import type { Diagnostic } from '../../diagnostics/index.js';
import { closest, errorAt } from '../../diagnostics/index.js';
import type { Schedule } from '../../schema/index.js';
import type { ResourceNode } from '../model.js';
import type { Rule } from './context.js';

const MAX_LOOKBACK_DAYS = 45;

/** Whether the runtime knows the IANA zone (Intl is the source of truth for what we can compute in). */
const zoneValidity = new Map<string, boolean>();
let canonicalZones: ReadonlySet<string> | undefined;

export function isValidTimezone(tz: string): boolean {
  // Constructing an Intl formatter costs ~0.5 ms; projects repeat the same few zones. The first
  // one costs ~20 ms (ICU loads the en-US formatting data), so a canonical zone name (the usual
  // case; ~1.5 ms for the list) is taken as valid without one: every zone Intl lists, a formatter
  // accepts. Aliases and other spellings go to the formatter, as before.
  let valid = zoneValidity.get(tz);
  if (valid === undefined) {
    // UTC is not in node's list, and every implementation must accept it (ECMA-402).
    canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
    if (canonicalZones.has(tz)) valid = !/^[+-]?\d/.test(tz);
    else
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        valid = !/^[+-]?\d/.test(tz);
      } catch {
        valid = false;
      }
    zoneValidity.set(tz, valid);
  }
  return valid;
}

export function durationMs(d: string): number {
  const n = Number(d.slice(0, -1));
  const unit = d.slice(-1);
  return n * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
}

function timezoneHint(tz: string): string {
  const near = closest(tz, Intl.supportedValuesOf('timeZone'));
  return near === undefined
    ? 'use an IANA name such as Europe/Paris, America/New_York or UTC'
    : `did you mean "${near}"?`;
}

function checkSchedule(node: ResourceNode, schedule: Schedule, out: Diagnostic[]): void {
  const at = (...p: string[]) => node.locate(['schedule', ...p]);
  if ('every' in schedule) {
    const hours = Number(schedule.every.slice(0, -1));
    if (hours < 1 || hours > 24)
      out.push(
        errorAt(
          at('every'),
          'schedule-out-of-bounds',
          `every: ${schedule.every} is out of bounds: schedules run every 1h to 24h`,
          'write every: 1h … 24h, or use a cron schedule',
        ),
      );
  } else if ('cron' in schedule) {
    const fields = schedule.cron.trim().split(/\s+/);
    if (fields.length !== 5) {
      out.push(
        errorAt(
          at('cron'),
          'invalid-cron',
          `cron "${schedule.cron}" has ${fields.length} fields; outflow cron has exactly 5 (minute hour day month weekday)`,
          'for example cron: "0 3 * * *" (every day at 03:00)',
        ),
      );
    } else {
      try {
        new Cron(schedule.cron, { paused: true, timezone: 'UTC' });
      } catch (err) {
        out.push(
          errorAt(
            at('cron'),
            'invalid-cron',
            `invalid cron "${schedule.cron}": ${(err as Error).message}`,
            'fields are minute (0-59) hour (0-23) day (1-31) month (1-12) weekday (0-6)',
          ),
        );
      }
    }
    if (schedule.timezone !== undefined && !isValidTimezone(schedule.timezone)) {
      out.push(
        errorAt(
          at('timezone'),
          'invalid-timezone',
          `unknown time zone "${schedule.timezone}"`,
          timezoneHint(schedule.timezone),
        ),
      );
    }
  } else if ('once' in schedule) {
    const lookback = schedule.once.lookback;
    if (lookback !== undefined && durationMs(lookback) > MAX_LOOKBACK_DAYS * 86_400_000) {
      out.push(
        errorAt(
          at('once', 'lookback'),
          'schedule-out-of-bounds',
          `lookback ${lookback} is longer than the ${MAX_LOOKBACK_DAYS}-day maximum`,
          `write lookback: ${MAX_LOOKBACK_DAYS}d or less`,
        ),
      );
    }
  }
}

/** Schedules are within bounds and name valid time zones. */
export const schedulesWithinBounds: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  const tz = model.project?.config.timezone;
  if (tz !== undefined && !isValidTimezone(tz)) {
    out.push(
      errorAt(
        model.project!.locate(['timezone']),
        'invalid-timezone',
        `unknown time zone "${tz}"`,
        timezoneHint(tz),
      ),
    );
  }
  for (const node of [...model.resources.Export.values(), ...model.resources.Activation.values()]) {
    if (node.config.schedule !== undefined) checkSchedule(node as ResourceNode, node.config.schedule, out);
  }
  return out;
};
