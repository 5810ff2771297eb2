import { buildGraph, type Model } from '../model/index.js';
import type { DataAction } from './types.js';

/** A name given to `outflow run`, resolved: the export or activation it means, or why not. */
export type NamedTarget =
  | { ok: true; address: string; enabled: boolean }
  | { ok: false; name: string; message: string; hint: string };

/**
 * Resolves `outflow run` names (`buyers_daily`, or `Export/buyers_daily` when an export and an
 * activation share the name) to addresses, with a did-you-mean for unknown ones.
 */
export function resolveRunNames(
  model: Model,
  names: readonly string[],
  suggest: (name: string, candidates: string[]) => string | undefined,
): NamedTarget[] {
  const runnable = [...model.resources.Export.values(), ...model.resources.Activation.values()];
  return names.map((name): NamedTarget => {
    const matches = runnable.filter((n) => n.name === name || n.address === name);
    if (matches.length === 1) {
      const node = matches[0]!;
      return { ok: true, address: node.address, enabled: node.config.enabled };
    }
    if (matches.length > 1)
      return {
        ok: false,
        name,
        message: `"${name}" names both ${matches.map((m) => m.address).join(' and ')}`,
        hint: `name one of them as ${matches.map((m) => m.address).join(' or ')}`,
      };
    const near = suggest(
      name,
      runnable.map((n) => n.name),
    );
    return {
      ok: false,
      name,
      message: `no export or activation named "${name}"`,
      hint:
        near === undefined
          ? `declared: ${runnable.map((n) => n.name).join(', ') || '(none)'}`
          : `did you mean "${near}"?`,
    };
  });
}

/**
 * What `outflow run` does: the chosen export runs and syncs (named ones, and with `due` every due
 * one), preceded by the ingests of exactly the dataflows they depend on (by the resource graph).
 */
export function selectRunActions(
  model: Model,
  actions: readonly DataAction[],
  options: { named: ReadonlySet<string>; due: boolean },
): DataAction[] {
  const runs = actions.filter((a) => a.type !== 'ingest' && (options.due || options.named.has(a.address)));
  const needed = buildGraph(model).withDependencies(runs.map((a) => a.address));
  const ingests = actions.filter((a) => a.type === 'ingest' && needed.has(a.address));
  return [...ingests, ...runs];
}
