import { OutflowError } from '../../diagnostics/errors.js';
import { durationMs } from '../../model/rules/schedules.js';
import type {
  AggregatePredicate,
  Audience,
  Condition,
  Dataflow,
  Op,
  TopPredicate,
  TraitPredicate,
  Value,
} from '../../schema/index.js';
import { closestName } from '../closest-name.js';
import type { SqlValue } from '../engine.js';
import { isExactNumeric, isNumeric, sqlType } from './column-types.js';
import { datasetTable, type Sql } from './ingest-sql.js';
import { quoteIdent } from './quote.js';

/**
 * The condition tree of an Audience compiled to one query selecting `person_id`, ordered by it.
 *
 * - People are the latest row (highest `_seq`) per person identifier of the people dataflow.
 * - Every event condition reads events with time in `(now − within, now]` (or `≤ now` without
 *   `within`), one grouped CTE per condition, left-joined on the person.
 * - A comparison with a missing value (NULL trait, no events for min/max/avg/sum/top) is false,
 *   for every operator including `!=` and `not in`; `count` of no events is 0.
 * - Sums and averages are exact: integer and decimal columns sum natively, doubles are summed as
 *   DECIMAL(38,12), so members on a threshold never flip between runs.
 * - `top` is the most frequent non-null value; ties go to the smallest value.
 */
export interface FlowRef {
  name: string;
  config: Dataflow;
}

const EXACT = 'DECIMAL(38,12)';

export function audienceSql(
  audience: Audience,
  people: FlowRef,
  events: FlowRef | undefined,
  now: Date,
): Sql {
  const builder = new AudienceBuilder(audience, people, events, now);
  return builder.build();
}

/**
 * The people CTE body: the latest row (highest `_seq`) per person (shared with audience exports,
 * activations and previews). An `upsert` dataflow already keeps one row per person (each ingest
 * deletes the older ones once its rows are numbered), so it is read as it is, without the window.
 * Rows with `_seq` NULL are no rows of the dataset (an ingest that died before numbering them;
 * see ingest.ts) and are never read.
 */
export function latestPeopleSql(people: FlowRef): string {
  const pid = quoteIdent(personIdentifierOf(people, 'people'));
  const table = quoteIdent(datasetTable(people.name));
  const rows = `SELECT * FROM ${table} WHERE ${pid} IS NOT NULL AND _seq IS NOT NULL`;
  if (people.config.writeMode === 'upsert') return rows;
  return `${rows} QUALIFY row_number() OVER (PARTITION BY ${pid} ORDER BY _seq DESC) = 1`;
}

export function personIdentifierOf(flow: FlowRef, role: string): string {
  const pid = flow.config.schema.personIdentifier;
  if (pid === undefined) {
    throw new OutflowError(
      'audience-no-person-identifier',
      `the ${role} dataflow "${flow.name}" has no schema.personIdentifier`,
      {
        hint: 'set schema.personIdentifier to the column that identifies a person',
      },
    );
  }
  return pid;
}

/** `2024-01-02 03:04:05.678`: a TIMESTAMP literal in UTC. */
export function timestampText(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

class AudienceBuilder {
  private readonly params: SqlValue[] = [];
  private readonly ctes: string[] = [];
  private readonly joins: string[] = [];
  private nowBound: string | undefined;

  constructor(
    private readonly audience: Audience,
    private readonly people: FlowRef,
    private readonly events: FlowRef | undefined,
    private readonly now: Date,
  ) {}

  /** `now` as a bound TIMESTAMP, bound once on first use (an unused parameter fails to bind). */
  private get nowParam(): string {
    this.nowBound ??= `CAST(${this.bind(timestampText(this.now))} AS TIMESTAMP)`;
    return this.nowBound;
  }

  build(): Sql {
    const pid = quoteIdent(personIdentifierOf(this.people, 'people'));
    const top =
      this.audience.match === 'any' ? { any: this.audience.conditions } : { all: this.audience.conditions };
    const where = this.condition(top);
    const ctes = [`"people" AS (${latestPeopleSql(this.people)})`, ...this.ctes];
    const sql = [
      `WITH ${ctes.join(',\n')}`,
      `SELECT p.${pid} AS person_id FROM "people" p`,
      ...this.joins,
      `WHERE ${where}`,
      'ORDER BY person_id',
    ].join('\n');
    return { sql, params: this.params };
  }

  private bind(value: SqlValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  private condition(c: Condition): string {
    if ('all' in c) return `(${c.all.map((x) => this.condition(x)).join(' AND ')})`;
    if ('any' in c) return `(${c.any.map((x) => this.condition(x)).join(' OR ')})`;
    if ('did' in c) {
      const alias = this.eventCte(c.did, c.within, 'count(*)');
      return `coalesce(${alias}.v, 0) >= ${this.bind(c.atLeast ?? 1)}`;
    }
    if ('didNot' in c) return `coalesce(${this.eventCte(c.didNot, c.within, 'count(*)')}.v, 0) = 0`;
    const have = c.have;
    if ('trait' in have) return this.trait(have);
    if ('aggregate' in have) return this.aggregate(have);
    return this.top(have);
  }

  private trait(t: TraitPredicate): string {
    const column = this.column(this.people, t.trait, 'trait');
    return compare(`p.${quoteIdent(column.name)}`, t.op, t.value, comparableType(column.type), (v) =>
      this.bind(v),
    );
  }

  private aggregate(a: AggregatePredicate): string {
    if (a.aggregate === 'count') {
      const of = a.of === undefined ? '*' : quoteIdent(this.column(this.eventFlow(), a.of, 'of').name);
      const alias = this.eventCte(a.event, a.within, `count(${of})`);
      return compare(`coalesce(${alias}.v, 0)`, a.op, a.value, 'BIGINT', (v) => this.bind(v));
    }
    if (a.of === undefined) {
      throw new OutflowError(
        'audience-aggregate-without-column',
        `${a.aggregate} needs "of": the event column to aggregate`,
        {
          hint: `write have: {aggregate: ${a.aggregate}, of: price, event: ${a.event}, ...}`,
        },
      );
    }
    const column = this.column(this.eventFlow(), a.of, 'of');
    const col = quoteIdent(column.name);
    let expr: string;
    let type: string;
    if (a.aggregate === 'min' || a.aggregate === 'max') {
      expr = `${a.aggregate}(${col})`;
      type = comparableType(column.type);
    } else {
      if (!isNumeric(column.type)) {
        throw new OutflowError(
          'audience-aggregate-not-numeric',
          `cannot ${a.aggregate} event column "${a.of}" of type ${column.type}`,
          {
            hint: 'sum and avg need an integer, bigint, double or decimal column',
          },
        );
      }
      const exact = isExactNumeric(column.type) ? col : `CAST(${col} AS ${EXACT})`;
      expr = a.aggregate === 'sum' ? `sum(${exact})` : `sum(${exact}) / count(${col})`;
      type = a.aggregate === 'sum' ? EXACT : 'DOUBLE';
    }
    const alias = this.eventCte(a.event, a.within, expr);
    return compare(`${alias}.v`, a.op, a.value, type, (v) => this.bind(v));
  }

  private top(t: TopPredicate): string {
    const column = this.column(this.eventFlow(), t.top, 'top');
    const col = quoteIdent(column.name);
    const alias = `t${this.ctes.length}`;
    const { pid, filter } = this.eventFilter(t.event, t.within);
    this.ctes.push(
      `${quoteIdent(alias)} AS (SELECT person_id, v FROM (SELECT ${pid} AS person_id, ${col} AS v, count(*) AS n FROM ${this.eventTable()} WHERE ${filter} AND ${col} IS NOT NULL GROUP BY ALL) QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY n DESC, v ASC) = 1)`,
    );
    this.join(alias);
    return compare(`${quoteIdent(alias)}.v`, t.op, t.value, comparableType(column.type), (v) => this.bind(v));
  }

  /** A CTE `c<i>(person_id, v)` with `v` = `aggregate` over the person's matching events. */
  private eventCte(event: string, within: string | undefined, aggregate: string): string {
    const alias = `c${this.ctes.length}`;
    const { pid, filter } = this.eventFilter(event, within);
    this.ctes.push(
      `${quoteIdent(alias)} AS (SELECT ${pid} AS person_id, ${aggregate} AS v FROM ${this.eventTable()} WHERE ${filter} GROUP BY 1)`,
    );
    this.join(alias);
    return quoteIdent(alias);
  }

  private join(alias: string): void {
    const pid = quoteIdent(personIdentifierOf(this.people, 'people'));
    this.joins.push(`LEFT JOIN ${quoteIdent(alias)} ON ${quoteIdent(alias)}.person_id = p.${pid}`);
  }

  private eventFilter(event: string, within: string | undefined): { pid: string; filter: string } {
    const flow = this.eventFlow();
    const { eventName, eventTime } = flow.config.schema;
    if (eventName === undefined || eventTime === undefined) {
      throw new OutflowError(
        'audience-events-incomplete',
        `events dataflow "${flow.name}" needs schema.eventName and schema.eventTime`,
        {
          hint: 'declare which columns hold the event name and time',
        },
      );
    }
    const peopleType = this.column(
      this.people,
      personIdentifierOf(this.people, 'people'),
      'personIdentifier',
    ).type;
    const eventPid = personIdentifierOf(flow, 'events');
    const pid = `CAST(${quoteIdent(eventPid)} AS ${sqlType(peopleType)})`;
    const time = quoteIdent(eventTime);
    const parts = [`${quoteIdent(eventName)} = ${this.bind(event)}`, `${time} <= ${this.nowParam}`];
    if (within !== undefined) {
      const from = new Date(this.now.getTime() - durationMs(within));
      parts.push(`${time} > CAST(${this.bind(timestampText(from))} AS TIMESTAMP)`);
    }
    // `_seq` NULL rows are no rows of the dataset (see latestPeopleSql).
    parts.push('_seq IS NOT NULL');
    return { pid, filter: parts.join(' AND ') };
  }

  private eventFlow(): FlowRef {
    if (this.events === undefined) {
      throw new OutflowError(
        'audience-no-events',
        `audience "${this.audience.name}" has event conditions but no events dataflow`,
        {
          hint: 'set events: to an event dataflow',
        },
      );
    }
    return this.events;
  }

  private eventTable(): string {
    return quoteIdent(datasetTable(this.eventFlow().name));
  }

  private column(flow: FlowRef, name: string, field: string): { name: string; type: string } {
    const column = flow.config.schema.columns.find((c) => c.name === name);
    if (column !== undefined) return column;
    const near = closestName(
      name,
      flow.config.schema.columns.map((c) => c.name),
    );
    throw new OutflowError(
      'audience-unknown-column',
      `${field} "${name}" is not a column of dataflow "${flow.name}"`,
      {
        hint:
          near === undefined
            ? `columns: ${flow.config.schema.columns.map((c) => c.name).join(', ')}`
            : `did you mean "${near}"?`,
      },
    );
  }
}

function comparableType(type: string): string {
  const t = sqlType(type);
  return t === 'JSON' ? 'VARCHAR' : t;
}

const OPS: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** `left op value` as SQL that is false (never NULL) when `left` is NULL. */
function compare(
  left: string,
  op: Op,
  value: Value | undefined,
  type: string,
  bind: (v: SqlValue) => string,
): string {
  const lhs = type === 'VARCHAR' && left.startsWith('p.') ? `CAST(${left} AS VARCHAR)` : left;
  if (op === 'is null') return `(${left} IS NULL)`;
  if (op === 'is not null') return `(${left} IS NOT NULL)`;
  if (value === undefined) {
    throw new OutflowError('audience-missing-value', `operator "${op}" needs a value`, {
      hint: 'add value: to the condition',
    });
  }
  const cast = (v: string | number | boolean) => `CAST(${bind(v)} AS ${type})`;
  if (op === 'in' || op === 'not in') {
    const list = (Array.isArray(value) ? value : [value]).map(cast).join(', ');
    return `coalesce(${lhs} ${op === 'in' ? 'IN' : 'NOT IN'} (${list}), false)`;
  }
  if (Array.isArray(value)) {
    throw new OutflowError('audience-list-value', `operator "${op}" compares with one value, not a list`, {
      hint: 'use op: in or not in for a list of values',
    });
  }
  return `coalesce(${lhs} ${OPS[op]} ${cast(value)}, false)`;
}
