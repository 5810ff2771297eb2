import { isPlainObject } from './canonical.js';
import type { NormalizedConfig } from './normalize.js';
import type { BreakingReason, ValueChange } from './reasons.js';
import type { FieldChange } from './types.js';

type Config = NormalizedConfig;

// Fields that give a resource its identity: changing one means the old one goes and a new one comes.
const IDENTITY_FIELDS: Record<string, string[]> = {
  Connection: ['type'],
  Dataflow: ['entity', 'schema.name'],
  Audience: ['people'],
  Export: ['type', 'from'],
  Activation: ['destination'],
};

function at(config: Config, path: string): unknown {
  let v: unknown = config;
  for (const key of path.split('.')) v = isPlainObject(v) ? v[key] : undefined;
  return v;
}

/**
 * The identity fields that changed (each forces replacement); empty when none did. A dataflow's
 * dataset shape — its columns' names and types — is part of its identity too: the stored table
 * has those columns, so adding, removing or retyping one rebuilds the dataset from the stream
 * files (reordering them changes nothing).
 */
export function identityChanges(kind: string, before: Config, after: Config): ValueChange[] {
  const changed = (IDENTITY_FIELDS[kind] ?? []).flatMap((path) => {
    const b = at(before, path);
    const a = at(after, path);
    return JSON.stringify(b) === JSON.stringify(a)
      ? []
      : [{ path, ...(b === undefined ? {} : { before: b }), ...(a === undefined ? {} : { after: a }) }];
  });
  if (kind === 'Dataflow') {
    const b = datasetShape(before);
    const a = datasetShape(after);
    if (b !== a) changed.push({ path: 'schema.columns (names and types)', before: b, after: a });
  }
  return changed;
}

/** `email string, userid integer`: a dataflow's columns by name with their types, in name order. */
function datasetShape(config: Config): string {
  const columns = (at(config, 'schema.columns') ?? {}) as Record<string, { type?: unknown }>;
  return Object.keys(columns)
    .sort()
    .map((name) => `${name} ${String(columns[name]?.type)}`)
    .join(', ');
}

/** Whether every changed path is description, labels or lifecycle (nothing that moves data). */
export function isMetadataOnly(changes: readonly FieldChange[]): boolean {
  return (
    changes.length > 0 &&
    changes.every((c) => /^(labels|lifecycle)(\.|$)/.test(c.path) || /(^|\.)description$/.test(c.path))
  );
}

/** Why an update or replace breaks consumers of the data, one entry each. */
export function breakingReasons(kind: string, before: Config, after: Config): BreakingReason[] {
  switch (kind) {
    case 'Dataflow':
      return dataflowBreaks(before, after);
    case 'Audience':
      return audienceBreaks(before, after);
    case 'Export':
      return exportBreaks(before, after);
    default:
      return [];
  }
}

function dataflowBreaks(before: Config, after: Config): BreakingReason[] {
  const out: BreakingReason[] = [];
  const dataset = String(at(after, 'schema.name'));
  const b = (at(before, 'schema.columns') ?? {}) as Record<string, { type?: unknown }>;
  const a = (at(after, 'schema.columns') ?? {}) as Record<string, { type?: unknown }>;
  for (const [name, col] of Object.entries(b)) {
    const now = a[name];
    if (now === undefined) out.push({ code: 'column-removed', column: name, dataset });
    else if (now.type !== col.type)
      out.push({ code: 'column-retyped', column: name, before: col.type, after: now.type });
  }
  if (after.writeMode === 'overwrite' && before.writeMode !== 'overwrite')
    out.push({ code: 'write-mode-overwrite', before: before.writeMode });
  return out;
}

function exportBreaks(before: Config, after: Config): BreakingReason[] {
  const out: BreakingReason[] = [];
  if (after.mode === 'incremental') {
    if (before.destination !== after.destination)
      out.push({
        code: 'incremental-destination-changed',
        before: before.destination,
        after: after.destination,
      });
    if (before.path !== after.path)
      out.push({ code: 'incremental-path-changed', before: before.path, after: after.path });
  }
  if (before.format !== after.format)
    out.push({ code: 'format-changed', before: before.format, after: after.format });
  const fields = Array.isArray(after.fields) ? after.fields : [];
  if (Array.isArray(before.fields) && Array.isArray(after.fields))
    for (const f of before.fields)
      if (!fields.includes(f)) out.push({ code: 'field-dropped', field: String(f) });
  return out;
}

// Which condition a condition is "about" (did buy, have trait country, …), so an edited one can be
// paired with its previous form. A key, never shown.
function conditionSubject(cond: unknown): string {
  if (!isPlainObject(cond)) return '?';
  if ('did' in cond) return JSON.stringify(['did', cond.did]);
  if ('didNot' in cond) return JSON.stringify(['didNot', cond.didNot]);
  if (isPlainObject(cond.have)) {
    const h = cond.have;
    if ('trait' in h) return JSON.stringify(['trait', h.trait]);
    if ('aggregate' in h) return JSON.stringify(['aggregate', h.aggregate, h.of ?? '*', h.event]);
    if ('top' in h) return JSON.stringify(['top', h.top, h.event]);
  }
  return 'all' in cond ? 'all group' : 'any group';
}

function audienceBreaks(before: Config, after: Config): BreakingReason[] {
  const out: BreakingReason[] = [];
  const match = after.match === 'any' ? 'any' : 'all';
  if (before.match === 'any' && match === 'all') out.push({ code: 'match-narrowed' });
  const key = (c: unknown) => JSON.stringify(c);
  const bConds = Array.isArray(before.conditions) ? before.conditions : [];
  const aConds = Array.isArray(after.conditions) ? after.conditions : [];
  const bKeys = new Set(bConds.map(key));
  const aKeys = new Set(aConds.map(key));
  const added = aConds.filter((c) => !bKeys.has(key(c)));
  const removed = bConds.filter((c) => !aKeys.has(key(c)));
  for (const cond of added) {
    const i = removed.findIndex((r) => conditionSubject(r) === conditionSubject(cond));
    if (i !== -1) {
      const [previous] = removed.splice(i, 1);
      out.push({ code: 'condition-changed', before: previous, after: cond });
    } else if (match === 'all') {
      out.push({ code: 'condition-added', condition: cond });
    }
  }
  if (match === 'any') for (const cond of removed) out.push({ code: 'condition-removed', condition: cond });
  return out;
}
