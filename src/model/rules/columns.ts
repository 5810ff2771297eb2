import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, suggestion, warningAt } from '../../diagnostics/index.js';
import type { Condition, Dataflow } from '../../schema/index.js';
import { columnNames, columnType } from '../columns.js';
import type { ResourceNode } from '../model.js';
import type { Rule } from './context.js';

function unknownColumn(
  node: ResourceNode,
  path: (string | number)[],
  name: string,
  flow: string,
  columns: string[],
): Diagnostic {
  return errorAt(
    node.locate(path),
    'unknown-column',
    `column "${name}" is not in dataflow "${flow}"`,
    suggestion(name, columns, 'columns'),
  );
}

/** Column names are unique; personIdentifier, eventTime and eventName name real columns of the right type. */
export const dataflowColumnsAreConsistent: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const flow of model.resources.Dataflow.values()) {
    const { schema, entity, writeMode } = flow.config;
    const cols = columnNames(flow.config);
    const seen = new Map<string, number>();
    schema.columns.forEach((c, i) => {
      const lower = c.name.toLowerCase();
      if (seen.has(lower))
        out.push(
          errorAt(
            flow.locate(['schema', 'columns', i, 'name']),
            'duplicate-column',
            `column "${c.name}" is declared twice (also at columns[${seen.get(lower)}])`,
            'column names are unique (case-insensitively); rename or remove one',
          ),
        );
      else seen.set(lower, i);
      if (c.from !== undefined && c.expr !== undefined)
        out.push(
          errorAt(
            flow.locate(['schema', 'columns', i, 'expr'], { key: true }),
            'conflicting-fields',
            `column "${c.name}" has both "from" and "expr"`,
            'use "from" to copy a source column, or "expr" to compute one — not both',
          ),
        );
    });
    for (const field of ['personIdentifier', 'eventTime', 'eventName'] as const) {
      const name = schema[field];
      if (name !== undefined && !cols.includes(name))
        out.push(unknownColumn(flow, ['schema', field], name, flow.name, cols));
    }
    if (entity === 'event') {
      for (const field of ['eventTime', 'eventName'] as const) {
        if (schema[field] === undefined)
          out.push(
            errorAt(
              flow.locate(['schema'], { key: true }),
              'missing-field',
              `an event dataflow needs schema.${field}`,
              `add "${field}:" naming the ${field === 'eventTime' ? 'timestamp' : 'event name'} column`,
            ),
          );
      }
      const t = schema.eventTime === undefined ? undefined : columnType(flow.config, schema.eventTime);
      if (t !== undefined && t !== 'timestamp' && t !== 'date')
        out.push(
          errorAt(
            flow.locate(['schema', 'eventTime']),
            'wrong-column-type',
            `eventTime column "${schema.eventTime}" is a ${t}; it must be a timestamp`,
            `declare it with type: timestamp`,
          ),
        );
    } else {
      for (const field of ['eventTime', 'eventName'] as const) {
        if (schema[field] !== undefined)
          out.push(
            warningAt(
              flow.locate(['schema', field], { key: true }),
              'ignored-field',
              `schema.${field} is only used by event dataflows (entity: ${entity})`,
              'remove it, or set entity: event',
            ),
          );
      }
    }
    if (writeMode === 'upsert' && schema.personIdentifier === undefined) {
      out.push(
        errorAt(
          flow.locate(['writeMode']),
          'missing-field',
          'writeMode: upsert needs schema.personIdentifier (the key rows are merged on)',
          'add schema.personIdentifier, or use writeMode: append',
        ),
      );
    }
  }
  return out;
};

function* walk(
  conditions: readonly Condition[],
  path: (string | number)[],
): Generator<[Condition, (string | number)[]]> {
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!;
    const p = [...path, i];
    yield [c, p];
    if ('all' in c) yield* walk(c.all, [...p, 'all']);
    if ('any' in c) yield* walk(c.any, [...p, 'any']);
  }
}

/** Audiences select people by real columns, and event conditions have an event dataflow to look at. */
export const audienceColumnsExist: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const aud of model.resources.Audience.values()) {
    const people = model.resources.Dataflow.get(aud.config.people)?.config;
    const events =
      aud.config.events === undefined ? undefined : model.resources.Dataflow.get(aud.config.events)?.config;
    if (people !== undefined && people.schema.personIdentifier === undefined) {
      out.push(
        errorAt(
          aud.locate(['people']),
          'missing-identifier',
          `dataflow "${aud.config.people}" has no schema.personIdentifier, so it cannot hold people`,
          `add personIdentifier to dataflow "${aud.config.people}"`,
        ),
      );
    }
    if (events !== undefined) {
      if (events.entity !== 'event')
        out.push(
          errorAt(
            aud.locate(['events']),
            'wrong-entity',
            `events "${aud.config.events}" is a dataflow of entity ${events.entity}, not event`,
            'point events at a dataflow with entity: event',
          ),
        );
      const pid = events.schema.personIdentifier;
      if (pid === undefined)
        out.push(
          errorAt(
            aud.locate(['events']),
            'missing-identifier',
            `events dataflow "${aud.config.events}" has no schema.personIdentifier to join people on`,
            `add personIdentifier to dataflow "${aud.config.events}"`,
          ),
        );
    }
    for (const [c, p] of walk(aud.config.conditions, ['conditions'])) {
      const needsEvents = 'did' in c || 'didNot' in c || ('have' in c && !('trait' in c.have));
      if (needsEvents && aud.config.events === undefined) {
        out.push(
          errorAt(
            aud.locate(p),
            'missing-field',
            'this condition is about events, but the audience has no "events" dataflow',
            'add "events: <event dataflow>" to the audience',
          ),
        );
      }
      if (!('have' in c)) continue;
      const h = c.have;
      if ('trait' in h && people !== undefined) {
        const cols = columnNames(people);
        if (!cols.includes(h.trait))
          out.push(unknownColumn(aud, [...p, 'have', 'trait'], h.trait, aud.config.people, cols));
      }
      if (events !== undefined && aud.config.events !== undefined) {
        const cols = columnNames(events);
        const col = 'aggregate' in h ? h.of : 'top' in h ? h.top : undefined;
        const key = 'aggregate' in h ? 'of' : 'top';
        if (col !== undefined && !cols.includes(col))
          out.push(unknownColumn(aud, [...p, 'have', key], col, aud.config.events, cols));
        if ('aggregate' in h && h.aggregate !== 'count' && h.of === undefined)
          out.push(
            errorAt(
              aud.locate([...p, 'have']),
              'missing-field',
              `aggregate ${h.aggregate} needs "of" (the column to aggregate)`,
              'add "of: <column>"',
            ),
          );
      }
      const op = h.op;
      const listOp = op === 'in' || op === 'not in';
      const nullOp = op === 'is null' || op === 'is not null';
      if (listOp && !Array.isArray(h.value))
        out.push(
          errorAt(
            aud.locate([...p, 'have', 'value']),
            'invalid-value',
            `op "${op}" needs a list value`,
            'write value: [A, B]',
          ),
        );
      if (!listOp && !nullOp && (h.value === undefined || Array.isArray(h.value)))
        out.push(
          errorAt(
            aud.locate([...p, 'have', h.value === undefined ? 'op' : 'value']),
            'invalid-value',
            `op "${op}" needs a single value`,
            'write value: <a string, number or boolean>',
          ),
        );
    }
  }
  return out;
};

export function sourceColumnsOf(
  model: import('../model.js').Model,
  exp: ResourceNode<'Export'>,
): { flow: Dataflow; name: string } | undefined {
  const from = exp.config.from;
  const flowName = from.dataflow ?? model.resources.Audience.get(from.audience ?? '')?.config.people;
  const flow = flowName === undefined ? undefined : model.resources.Dataflow.get(flowName)?.config;
  return flow === undefined || flowName === undefined ? undefined : { flow, name: flowName };
}

/** Export fields name real columns; activations' identifiers exist in their audiences' people. */
export const exportFieldsExistInSource: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const exp of model.resources.Export.values()) {
    const src = sourceColumnsOf(model, exp);
    if (src === undefined) continue;
    const cols = columnNames(src.flow);
    exp.config.fields?.forEach((f, i) => {
      if (!cols.includes(f)) out.push(unknownColumn(exp, ['fields', i], f, src.name, cols));
    });
  }
  for (const act of model.resources.Activation.values()) {
    for (const a of act.config.audiences) {
      const people = model.resources.Audience.get(a)?.config.people;
      const flow = people === undefined ? undefined : model.resources.Dataflow.get(people)?.config;
      if (flow === undefined) continue;
      const cols = columnNames(flow);
      if (!cols.includes(act.config.personIdentifier))
        out.push(unknownColumn(act, ['personIdentifier'], act.config.personIdentifier, people!, cols));
    }
  }
  return out;
};
