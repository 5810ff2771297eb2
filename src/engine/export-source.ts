import { OutflowError } from '../diagnostics/errors.js';
import type { Model } from '../model/model.js';
import type { Export } from '../schema/index.js';
import type { Engine } from './engine.js';
import { directPartsSql, type ExportSpec, exportQuery, type SourceOptions } from './sql/export-sql.js';

/** The options of a run, as writeExportSpec takes them (see export.ts). */
export interface RunWindowOptions {
  now: Date;
  sinceSeq?: number | undefined;
  untilSeq?: number | undefined;
  limitRows?: number | undefined;
  eventTimeAfter?: Date | undefined;
}

/** Incremental bounds apply to dataflow sources (audiences are snapshots); `full` ignores sinceSeq. */
export function sourceOptionsFor(
  spec: ExportSpec,
  options: RunWindowOptions,
  xmlEvent: boolean,
  layoutColumns?: readonly string[],
): SourceOptions {
  return {
    now: options.now,
    sinceSeq: spec.source.kind === 'dataflow' && spec.config.mode !== 'full' ? options.sinceSeq : undefined,
    untilSeq: spec.source.kind === 'dataflow' ? options.untilSeq : undefined,
    limitRows: options.limitRows,
    eventTimeAfter: spec.source.kind === 'dataflow' ? options.eventTimeAfter : undefined,
    xmlEvent,
    layoutColumns,
  };
}

export function resolveExportSpec(model: Model, exp: { name: string; config: Export }): ExportSpec {
  const flows = model.resources.Dataflow;
  const missing = (kind: string, name: string) =>
    new OutflowError(
      'export-unknown-source',
      `export "${exp.name}" reads ${kind} "${name}", which is not declared`,
      {
        hint: `declare the ${kind} or fix export.from`,
      },
    );
  const from = exp.config.from;
  if (from.audience !== undefined) {
    const audience = model.resources.Audience.get(from.audience);
    if (audience === undefined) throw missing('Audience', from.audience);
    const people = flows.get(audience.config.people);
    if (people === undefined) throw missing('Dataflow', audience.config.people);
    const events = audience.config.events === undefined ? undefined : flows.get(audience.config.events);
    return {
      name: exp.name,
      config: exp.config,
      source: {
        kind: 'audience',
        name: audience.name,
        audience: audience.config,
        people: { name: people.name, config: people.config },
        events: events === undefined ? undefined : { name: events.name, config: events.config },
      },
    };
  }
  const flow = flows.get(from.dataflow ?? '');
  if (flow === undefined) throw missing('Dataflow', from.dataflow ?? '');
  return {
    name: exp.name,
    config: exp.config,
    source: { kind: 'dataflow', flow: { name: flow.name, config: flow.config }, events: from.events },
  };
}

/**
 * How many rows a run of the export would write (before writing anything): for plans' data
 * impact and `limits.maxRows`. Same options as writeExportSpec.
 */
export async function countExportRows(
  engine: Engine,
  spec: ExportSpec,
  options: RunWindowOptions,
): Promise<number> {
  const query = exportQuery(spec, sourceOptionsFor(spec, { ...options, limitRows: undefined }, false));
  const q = directPartsSql(query);
  const rows = await engine.all(q.sql, q.params);
  const total = rows.reduce((n, r) => n + Number(r.n), 0);
  return options.limitRows === undefined ? total : Math.min(total, options.limitRows);
}
