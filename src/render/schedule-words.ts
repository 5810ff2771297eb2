import type { Schedule } from '../schema/index.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * A schedule in words: `every 4h`, `daily at 03:00 Europe/Paris`, `weekly on Monday at 06:30 UTC`,
 * `once (lookback 45d)`; cron shapes it does not recognise fall back to the cron text.
 */
export function scheduleInWords(schedule: Schedule | undefined, timezone: string): string {
  if (schedule === undefined) return 'manual (no schedule)';
  if ('once' in schedule)
    return schedule.once.lookback === undefined ? 'once' : `once (lookback ${schedule.once.lookback})`;
  const catchUp = schedule.catchUp === 'all' ? ', catch up all' : '';
  if ('every' in schedule) return `every ${schedule.every}${catchUp}`;
  const tz = schedule.timezone ?? timezone;
  const [min = '', hour = '', dom = '', month = '', dow = ''] = schedule.cron.trim().split(/\s+/);
  const num = (s: string) => /^\d{1,2}$/.test(s);
  const at = `${hour.padStart(2, '0')}:${min.padStart(2, '0')}`;
  let words: string | undefined;
  if (num(min) && hour === '*' && dom === '*' && month === '*' && dow === '*')
    words = `hourly at :${min.padStart(2, '0')}`;
  else if (num(min) && num(hour) && month === '*') {
    if (dom === '*' && dow === '*') words = `daily at ${at} ${tz}`;
    else if (dom === '*' && /^[0-7]$/.test(dow)) words = `weekly on ${DAYS[Number(dow) % 7]} at ${at} ${tz}`;
    else if (dom === '*' && dow === '1-5') words = `weekdays at ${at} ${tz}`;
    else if (num(dom) && dow === '*') words = `monthly on day ${dom} at ${at} ${tz}`;
    else if (dom === 'L' && dow === '*') words = `monthly on the last day at ${at} ${tz}`;
  }
  return `${words ?? `cron "${schedule.cron}" ${tz}`}${catchUp}`;
}
