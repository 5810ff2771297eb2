import { suggestion } from '../diagnostics/index.js';
import type { Dataflow, Export } from '../schema/index.js';

/**
 * `layout: clevertap`: which column goes where in CleverTap's event export layout, and under
 * which key. Pure; the validate rule reports the problems with positions, the engine writes
 * the layout (and refuses on the first problem).
 */

/** One column written in a section, under `key`. */
export interface LayoutEntry {
  column: string;
  key: string;
  /** The column's declared type (`string`, `double`, `decimal(10,2)`, …). */
  type: string;
}

export interface ClevertapLayout {
  /** The event time column (`ts`) and event name column (`eventName`). */
  eventTime: string;
  eventName: string;
  profile: LayoutEntry[];
  /** Empty: the files have no deviceInfo. */
  deviceInfo: LayoutEntry[];
  eventProps: LayoutEntry[];
}

export interface LayoutProblem {
  /** Config path of the offending value (`key`: point at the key rather than the value). */
  path: (string | number)[];
  key?: boolean;
  code: string;
  message: string;
  hint: string;
}

/** CleverTap's key for the person identifier. */
export const IDENTITY_KEY = 'identity';

/**
 * The layout of an export whose source is `flow` (undefined for an audience source), writing
 * `fields` (the exported columns: `fields`, or every column for dataOut). Problems make the
 * layout undefined, except the formats' own (see clevertapFormatProblems).
 */
export function resolveClevertapLayout(
  exp: Export,
  flow: { name: string; config: Dataflow } | undefined,
  fields: readonly string[],
): { layout?: ClevertapLayout; problems: LayoutProblem[] } {
  if (flow === undefined || flow.config.entity !== 'event') {
    const what =
      flow === undefined
        ? 'an audience export has no events'
        : `dataflow "${flow.name}" is entity ${flow.config.entity}`;
    return {
      problems: [
        {
          path: ['layout'],
          code: 'wrong-entity',
          message: `layout: clevertap is CleverTap's event export layout; ${what}`,
          hint: 'remove layout (flat is the default), or export from: {dataflow: <an event dataflow>}',
        },
      ],
    };
  }
  const schema = flow.config.schema;
  const columns = schema.columns.map((c) => c.name);
  const typeOf = (column: string) => schema.columns.find((c) => c.name === column)?.type ?? 'string';
  const problems: LayoutProblem[] = [];
  const { eventTime, eventName, personIdentifier } = schema;
  if (eventTime === undefined || eventName === undefined) {
    problems.push({
      path: ['from', 'dataflow'],
      code: 'missing-field',
      message: `layout: clevertap needs schema.eventTime and schema.eventName in dataflow "${flow.name}"`,
      hint: 'declare the event time and event name columns of the dataflow',
    });
  }
  const ct = exp.clevertap ?? {};
  const keys = ct.keys ?? {};
  const placed = new Map<string, 'profile' | 'deviceInfo'>();
  for (const section of ['profile', 'deviceInfo'] as const) {
    (ct[section] ?? []).forEach((column, i) => {
      const path = ['clevertap', section, i];
      if (!columns.includes(column)) {
        problems.push(unknownColumn(path, column, flow.name, columns));
      } else if (column === eventTime || column === eventName) {
        problems.push({
          path,
          code: 'invalid-value',
          message: `column "${column}" is the event ${column === eventTime ? 'time (ts)' : 'name (eventName)'}, which has its own place`,
          hint: `remove "${column}" from clevertap.${section}`,
        });
      } else if (placed.has(column)) {
        problems.push({
          path,
          code: 'invalid-value',
          message: `column "${column}" is already in clevertap.${placed.get(column)}`,
          hint: 'list a column in profile or deviceInfo, not both',
        });
      } else placed.set(column, section);
    });
  }
  for (const column of Object.keys(keys)) {
    if (!columns.includes(column))
      problems.push({
        ...unknownColumn(['clevertap', 'keys', column], column, flow.name, columns),
        key: true,
      });
  }
  if (problems.length > 0) return { problems };

  const entry = (column: string): LayoutEntry => ({
    column,
    key: keys[column] ?? (column === personIdentifier ? IDENTITY_KEY : column),
    type: typeOf(column),
  });
  const listed = ct.profile ?? [];
  const profileColumns =
    personIdentifier === undefined || listed.includes(personIdentifier)
      ? listed
      : [personIdentifier, ...listed];
  const own = new Set([eventTime, eventName, personIdentifier, ...placed.keys()]);
  const layout: ClevertapLayout = {
    eventTime: eventTime!,
    eventName: eventName!,
    profile: profileColumns.map(entry),
    deviceInfo: (ct.deviceInfo ?? []).map(entry),
    eventProps: fields.filter((f) => !own.has(f)).map(entry),
  };
  for (const section of ['profile', 'deviceInfo', 'eventProps'] as const) {
    const seen = new Map<string, string>();
    for (const e of layout[section]) {
      const other = seen.get(e.key);
      if (other !== undefined) {
        problems.push({
          path: ['clevertap', 'keys'],
          key: true,
          code: 'invalid-value',
          message: `columns "${other}" and "${e.column}" would both be written as "${e.key}" in ${section}`,
          hint: 'give one of them another key in clevertap.keys',
        });
      }
      seen.set(e.key, e.column);
    }
  }
  return problems.length > 0 ? { problems } : { layout, problems };
}

/** What the CleverTap layout cannot do with the export's format, compression and splitBy. */
export function clevertapFormatProblems(exp: Export): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const text = exp.format === 'json' || exp.format === 'ndjson';
  if (exp.format === 'csv') {
    problems.push({
      path: ['format'],
      code: 'invalid-value',
      message: 'layout: clevertap has no CSV form (the reference does not define its columns)',
      hint: 'use format json, ndjson, xml or parquet, or remove layout for a flat CSV',
    });
  }
  if (text && exp.splitBy !== 'event') {
    problems.push({
      path: ['layout'],
      code: 'missing-field',
      message: `a CleverTap ${exp.format} file starts with its event name, so it holds one event`,
      hint: 'add splitBy: event',
    });
  }
  if (text && exp.compression === 'zstd') {
    problems.push({
      path: ['compression'],
      code: 'invalid-value',
      message: `compression ${exp.compression} is not available for CleverTap ${exp.format} files`,
      hint: 'use compression none or gzip',
    });
  }
  return problems;
}

function unknownColumn(
  path: (string | number)[],
  column: string,
  flow: string,
  columns: readonly string[],
): LayoutProblem {
  return {
    path,
    code: 'unknown-column',
    message: `column "${column}" is not in dataflow "${flow}"`,
    hint: suggestion(column, columns, 'columns'),
  };
}
