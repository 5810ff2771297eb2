import {
  formatTime,
  formatValue,
  isPlainObject,
  type PlanReason,
  type PlanWarning,
  type ScheduleRef,
} from '../plan/index.js';

/**
 * A plan reason in words, e.g. `schedule due: every 4h, last run 2026-11-20T08:00Z`: the one place
 * reason codes become text, for every human view (text, markdown, run, watch).
 */
export function reasonText(reason: PlanReason): string {
  switch (reason.code) {
    case 'not-in-state':
      return 'not in state';
    case 'not-in-base':
      return `new: not in ${reason.ref}`;
    case 'unchanged':
      return 'unchanged';
    case 'fields-changed':
      return `changed: ${listPaths(reason.paths)}`;
    case 'hash-changed':
      return 'config hash differs from state';
    case 'identity-changed':
      return reason.fields
        .map(
          (f) => `${f.path} changed: ${formatValue(f.before)} → ${formatValue(f.after)} (forces replacement)`,
        )
        .join('; ');
    case 'not-in-configuration':
      return 'not in configuration';
    case 'removed-since-base':
      return `removed: in ${reason.ref}, not in the work tree`;
    case 'column-removed':
      return `column ${reason.column} removed from dataset ${reason.dataset}`;
    case 'column-retyped':
      return `column ${reason.column} retyped: ${formatValue(reason.before)} → ${formatValue(reason.after)}`;
    case 'write-mode-overwrite':
      return `writeMode changed: ${formatValue(reason.before)} → overwrite (every apply replaces the dataset with the current files)`;
    case 'incremental-destination-changed':
      return `destination changed for an incremental export: ${formatValue(reason.before)} → ${formatValue(reason.after)} (rows already sent are not sent again)`;
    case 'incremental-path-changed':
      return `path changed for an incremental export: ${formatValue(reason.before)} → ${formatValue(reason.after)} (readers of the old path see no new files)`;
    case 'format-changed':
      return `format changed: ${formatValue(reason.before)} → ${formatValue(reason.after)}`;
    case 'field-dropped':
      return `field ${reason.field} is no longer exported`;
    case 'match-narrowed':
      return 'match changed: any → all (narrows the audience)';
    case 'condition-changed':
      return `condition changed: ${conditionText(reason.before)} → ${conditionText(reason.after)} (may narrow the audience)`;
    case 'condition-added':
      return `condition added under match: all: ${conditionText(reason.condition)} (may narrow the audience)`;
    case 'condition-removed':
      return `condition removed under match: any: ${conditionText(reason.condition)} (narrows the audience)`;
    case 'dataflow-replaced':
      return 'replacing a dataflow drops its stored rows and ingests again';
    case 'protected-replaced':
      return 'protected resource is replaced';
    case 'protected-deleted':
      return 'protected resource is deleted';
    case 'new-stream-files':
      return count(reason.files, 'new stream file');
    case 'overwrite-rebuild':
      return `overwrite: rebuild from ${count(reason.files, 'stream file')} (${reason.new} new, ${reason.gone} gone)`;
    case 'retry-pending-run':
      return `retrying interrupted run ${reason.runId} (same files, same rows)`;
    case 'run-now':
      return 'run now (named)';
    case 'schedule-due': {
      const tick = reason.tick === undefined ? '' : ` ticked at ${formatTime(reason.tick)}`;
      const missed =
        reason.missedSlots === undefined
          ? ''
          : `, ${reason.missedSlots} slots missed (catchUp: skip runs once)`;
      const last = reason.lastRun === undefined ? 'never ran' : `last run ${formatTime(reason.lastRun)}`;
      return `schedule due: ${scheduleName(reason.schedule)}${tick}${missed}, ${last}`;
    }
    case 'catch-up':
      return `schedule due: ${scheduleName(reason.schedule)}, ${reason.missedSlots} missed slots (catchUp: all)`;
    case 'catch-up-run':
      return `schedule due: ${scheduleName(reason.schedule)}, catch-up run ${reason.run} of ${reason.of} (slot ${formatTime(reason.slot)})`;
    case 'schedule-off':
      return 'schedule off (enabled: false)';
    case 'no-schedule':
      return 'no schedule (run it with outflow run NAME)';
    case 'once-already-ran':
      return `once: already ran (${formatTime(reason.lastRun)})`;
    case 'not-due':
      return `not due: ${scheduleName(reason.schedule)}, last run ${formatTime(reason.lastRun)}`;
    default:
      return unknownReason(reason);
  }
}

// A plan written by a newer outflow may carry a code this one does not know: show the code.
function unknownReason(reason: never): string {
  return String((reason as { code?: unknown }).code);
}

/** `every 4h`, `cron "0 3 * * *" (Europe/Paris)`, `once (lookback 45d)`: how reasons name a schedule. */
function scheduleName(schedule: ScheduleRef): string {
  if ('once' in schedule)
    return schedule.once.lookback === undefined ? 'once' : `once (lookback ${schedule.once.lookback})`;
  return 'every' in schedule ? `every ${schedule.every}` : `cron "${schedule.cron}" (${schedule.timezone})`;
}

// `a, b, c and 4 more`: the first few changed paths, enough to recognise the change.
function listPaths(paths: readonly string[]): string {
  return paths.length <= 4
    ? paths.join(', ')
    : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}

// What a condition is about, in words: `did buy`, `have trait country`, `have sum of price on buy`.
function conditionSubject(cond: Record<string, unknown>): string {
  if ('did' in cond) return `did ${formatValue(cond.did)}`;
  if ('didNot' in cond) return `didNot ${formatValue(cond.didNot)}`;
  if (isPlainObject(cond.have)) {
    const h = cond.have;
    if ('trait' in h) return `have trait ${formatValue(h.trait)}`;
    if ('aggregate' in h)
      return `have ${formatValue(h.aggregate)} of ${formatValue(h.of ?? '*')} on ${formatValue(h.event)}`;
    if ('top' in h) return `have top ${formatValue(h.top)} on ${formatValue(h.event)}`;
  }
  return 'all' in cond ? 'all group' : 'any group';
}

/** An audience condition in one line: `did buy within 30d atLeast 2`, `have trait country op in value [FR, DE]`. */
function conditionText(cond: unknown): string {
  if (!isPlainObject(cond)) return formatValue(cond);
  const { did, didNot, have, all, any, ...rest } = cond;
  const details = { ...(isPlainObject(have) ? pick(have, ['op', 'value', 'within']) : {}), ...rest };
  const tail = Object.entries(details).map(([k, v]) => `${k} ${formatValue(v)}`);
  return [conditionSubject(cond), ...tail].join(' ');
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A plan warning in words. */
export function warningText(w: PlanWarning): string {
  if (w.code === 'stream-files-unlisted')
    return `${w.address}: the stream files in connection "${w.connection}" (${w.type}) could not be listed, so this plan shows no ingest for it: ${w.message ?? 'unknown error'}`;
  return `${w.address}: connection "${w.connection}" (${w.type}) has never been tested or published to; check it first with: outflow connections test ${w.connection}`;
}
