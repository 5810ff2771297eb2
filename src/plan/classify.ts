import { isPlainObject } from './canonical.js';
import { formatValue } from './format-value.js';
import type { NormalizedConfig } from './normalize.js';
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

/** Why a change forces replacement, e.g. "entity changed: user → event (forces replacement)"; empty when it does not. */
export function replacementReasons(kind: string, before: Config, after: Config): string[] {
  return (IDENTITY_FIELDS[kind] ?? []).flatMap((path) => {
    const b = at(before, path);
    const a = at(after, path);
    return JSON.stringify(b) === JSON.stringify(a)
      ? []
      : [`${path} changed: ${formatValue(b)} → ${formatValue(a)} (forces replacement)`];
  });
}

/** Whether every changed path is description, labels or lifecycle (nothing that moves data). */
export function isMetadataOnly(changes: readonly FieldChange[]): boolean {
  return (
    changes.length > 0 &&
    changes.every((c) => /^(labels|lifecycle)(\.|$)/.test(c.path) || /(^|\.)description$/.test(c.path))
  );
}

/** Why an update or replace breaks consumers of the data, one line each. */
export function breakingReasons(kind: string, before: Config, after: Config): string[] {
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

function dataflowBreaks(before: Config, after: Config): string[] {
  const out: string[] = [];
  const dataset = String(at(after, 'schema.name'));
  const b = (at(before, 'schema.columns') ?? {}) as Record<string, { type?: unknown }>;
  const a = (at(after, 'schema.columns') ?? {}) as Record<string, { type?: unknown }>;
  for (const [name, col] of Object.entries(b)) {
    const now = a[name];
    if (now === undefined) out.push(`column ${name} removed from dataset ${dataset}`);
    else if (now.type !== col.type)
      out.push(`column ${name} retyped: ${formatValue(col.type)} → ${formatValue(now.type)}`);
  }
  if (after.writeMode === 'overwrite' && before.writeMode !== 'overwrite')
    out.push(
      `writeMode changed: ${formatValue(before.writeMode)} → overwrite (every apply replaces the dataset with the current files)`,
    );
  return out;
}

function exportBreaks(before: Config, after: Config): string[] {
  const out: string[] = [];
  if (after.mode === 'incremental') {
    if (before.destination !== after.destination)
      out.push(
        `destination changed for an incremental export: ${formatValue(before.destination)} → ${formatValue(after.destination)} (rows already sent are not sent again)`,
      );
    if (before.path !== after.path)
      out.push(
        `path changed for an incremental export: ${formatValue(before.path)} → ${formatValue(after.path)} (readers of the old path see no new files)`,
      );
  }
  if (before.format !== after.format)
    out.push(`format changed: ${formatValue(before.format)} → ${formatValue(after.format)}`);
  const fields = Array.isArray(after.fields) ? after.fields : [];
  if (Array.isArray(before.fields) && Array.isArray(after.fields))
    for (const f of before.fields)
      if (!fields.includes(f)) out.push(`field ${String(f)} is no longer exported`);
  return out;
}

// Which condition a condition is "about", so an edited one can be paired with its previous form.
function conditionSubject(cond: unknown): string {
  if (!isPlainObject(cond)) return '?';
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

function describeCondition(cond: unknown): string {
  if (!isPlainObject(cond)) return formatValue(cond);
  const { did, didNot, have, ...rest } = cond;
  const head = conditionSubject(cond);
  const details = { ...(isPlainObject(have) ? pick(have, ['op', 'value', 'within']) : {}), ...rest };
  delete (details as Record<string, unknown>).all;
  delete (details as Record<string, unknown>).any;
  const tail = Object.entries(details).map(([k, v]) => `${k} ${formatValue(v)}`);
  return [head, ...tail].join(' ');
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

function audienceBreaks(before: Config, after: Config): string[] {
  const out: string[] = [];
  const match = after.match === 'any' ? 'any' : 'all';
  if (before.match === 'any' && match === 'all') out.push('match changed: any → all (narrows the audience)');
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
      out.push(
        `condition changed: ${describeCondition(previous)} → ${describeCondition(cond)} (may narrow the audience)`,
      );
    } else if (match === 'all') {
      out.push(`condition added under match: all: ${describeCondition(cond)} (may narrow the audience)`);
    }
  }
  if (match === 'any')
    for (const cond of removed)
      out.push(`condition removed under match: any: ${describeCondition(cond)} (narrows the audience)`);
  return out;
}
