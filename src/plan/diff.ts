import { allResources, type Model, type ResourceNode } from '../model/index.js';
import type { ResourceState, StateDocument } from '../state/index.js';
import { configHash, isPlainObject } from './canonical.js';
import { breakingReasons, isMetadataOnly, replacementReasons } from './classify.js';
import { dataActions, type Observed } from './data-actions.js';
import { diffConfigs } from './field-diff.js';
import { planConfigHash } from './model-hash.js';
import { type NormalizedConfig, normalizeResource } from './normalize.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanProblem, type ResourceChange } from './types.js';

export interface DiffOptions {
  /** The time the plan is for (due schedules, windows). */
  now: Date;
  outflowVersion: string;
  /** Only these addresses (`Kind/name`). */
  targets?: readonly string[];
  /** Leave these addresses out. */
  excludes?: readonly string[];
  /** Stream files seen by the caller, for ingest actions. */
  observed?: Observed;
  /** False: resource changes only, no data actions (watch mode after its first plan). Default true. */
  dataActions?: boolean;
  /** Normalised configs and hashes by config object, reused across plans (watch mode); never mutate them. */
  memo?: NormalizeMemo;
}

export type NormalizeMemo = WeakMap<object, { config: NormalizedConfig; hash: string }>;

/** A resource's normalised config and its hash, from `memo` when the config object was seen before. */
export function normalizedWithHash(
  node: ResourceNode,
  memo?: NormalizeMemo,
): { config: NormalizedConfig; hash: string } {
  const known = memo?.get(node.config);
  if (known !== undefined) return known;
  const config = normalizeResource(node);
  const entry = { config, hash: configHash(config) };
  memo?.set(node.config, entry);
  return entry;
}

const KIND_ORDER = ['Project', 'Connection', 'Dataflow', 'Audience', 'Export', 'Activation'];

/** The plan that takes `state` (undefined: nothing applied yet) to `model`, at `options.now`. */
export function diff(model: Model, state: StateDocument | undefined, options: DiffOptions): Plan {
  const changes: ResourceChange[] = [];
  const desired = new Map<string, string>();
  for (const node of allResources(model)) {
    const { config: after, hash } = normalizedWithHash(node, options.memo);
    desired.set(node.address, hash);
    changes.push(changeOf(node, after, hash, state?.resources[node.address]));
  }
  for (const [address, stored] of Object.entries(state?.resources ?? {}))
    if (!desired.has(address)) changes.push(deletionOf(address, stored));
  changes.sort(byKindThenName);

  const included = addressFilter(options.targets, options.excludes);
  const resourceChanges = changes.filter((c) => included(c.address));
  const actions = new Map(changes.map((c) => [c.address, c.action]));
  const data =
    options.dataActions === false
      ? []
      : dataActions(model, state, actions, options.now, options.observed ?? {}).filter((a) =>
          included(a.address),
        );
  const problems = resourceChanges.flatMap(protectionProblems);
  const count = (action: string) => resourceChanges.filter((c) => c.action === action).length;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    outflowVersion: options.outflowVersion,
    now: options.now.toISOString(),
    configHash: planConfigHash(desired),
    state: { lineage: state?.lineage ?? null, serial: state?.serial ?? 0 },
    ...(options.targets === undefined || options.targets.length === 0
      ? {}
      : { targets: [...options.targets].sort() }),
    ...(options.excludes === undefined || options.excludes.length === 0
      ? {}
      : { excludes: [...options.excludes].sort() }),
    resourceChanges,
    dataActions: data,
    problems,
    summary: {
      create: count('create'),
      update: count('update'),
      replace: count('replace'),
      delete: count('delete'),
      noop: count('no-op'),
      breaking: resourceChanges.filter((c) => c.classification === 'breaking').length,
      dataActions: data.length,
    },
  };
}

/** What to do with one declared resource, given what state holds for it. */
function changeOf(
  node: ResourceNode,
  after: NormalizedConfig,
  hash: string,
  stored: ResourceState | undefined,
): ResourceChange {
  const base = {
    address: node.address,
    kind: node.kind,
    name: node.name,
    file: node.file,
  };
  // The line is looked up only for changes: locating may re-parse the file for positions.
  const located = () => ({ ...base, line: node.locate(['kind']).line });
  const calm = { classification: 'non-breaking' as const, breaking: [] };
  if (stored === undefined)
    return {
      ...located(),
      action: 'create',
      reason: 'not in state',
      ...calm,
      after,
      changes: diffConfigs({}, after),
    };
  const before = stored.config as NormalizedConfig;
  if (stored.configHash === hash)
    return { ...base, action: 'no-op', reason: 'unchanged', ...calm, before, after, changes: [] };
  const fieldChanges = diffConfigs(before, after);
  const replace = replacementReasons(node.kind, before, after);
  const breaking = breakingReasons(node.kind, before, after);
  if (replace.length > 0) {
    if (node.kind === 'Dataflow')
      breaking.push('replacing a dataflow drops its stored rows and ingests again');
    if (isProtectedConfig(after) || isProtectedConfig(before))
      breaking.push('protected resource is replaced');
  }
  const reason =
    replace.length > 0
      ? replace.join('; ')
      : fieldChanges.length === 0
        ? 'config hash differs from state'
        : `changed: ${listPaths(fieldChanges.map((c) => c.path))}`;
  return {
    ...located(),
    action: replace.length > 0 ? 'replace' : 'update',
    reason,
    classification:
      breaking.length > 0 ? 'breaking' : isMetadataOnly(fieldChanges) ? 'metadata-only' : 'non-breaking',
    breaking,
    before,
    after,
    changes: fieldChanges,
  };
}

/** A resource only in state: deleted (its stored config says whether it was protected). */
function deletionOf(address: string, stored: ResourceState): ResourceChange {
  const before = stored.config as NormalizedConfig;
  const isProtected = isProtectedConfig(before);
  return {
    address,
    kind: stored.kind,
    name: stored.name,
    action: 'delete',
    reason: 'not in configuration',
    classification: isProtected ? 'breaking' : 'non-breaking',
    breaking: isProtected ? ['protected resource is deleted'] : [],
    before,
    changes: diffConfigs(before, {}),
  };
}

// `lifecycle.protect` turns a delete or replace into an error (for a replace, set before or after).
function protectionProblems(change: ResourceChange): PlanProblem[] {
  if (change.action !== 'delete' && change.action !== 'replace') return [];
  const configs = [change.before, change.after].filter((c): c is NormalizedConfig => isPlainObject(c));
  if (!configs.some(isProtectedConfig)) return [];
  return [protectedProblem(change.address, change.action === 'delete' ? 'deleted' : 'replaced')];
}

/** Whether a plan has anything for apply to do (resource changes or data actions). */
export function hasChanges(plan: Plan): boolean {
  const s = plan.summary;
  return s.create + s.update + s.replace + s.delete + s.dataActions > 0;
}

// `a, b, c and 4 more`: the first few changed paths, enough to recognise the change.
function listPaths(paths: string[]): string {
  const top = [...new Set(paths.map((p) => p.split('.').slice(0, 3).join('.')))];
  return top.length <= 4 ? top.join(', ') : `${top.slice(0, 3).join(', ')} and ${top.length - 3} more`;
}

function isProtectedConfig(config: NormalizedConfig): boolean {
  return isPlainObject(config.lifecycle) && config.lifecycle.protect === true;
}

function protectedProblem(address: string, what: 'deleted' | 'replaced'): PlanProblem {
  return {
    address,
    code: 'protected-resource',
    message: `${address} is protected (lifecycle.protect: true) and would be ${what}`,
    hint:
      what === 'deleted'
        ? 'restore it in the configuration, or first apply a change that sets lifecycle.protect: false'
        : 'revert the change that forces replacement, or first apply a change that sets lifecycle.protect: false',
  };
}

function addressFilter(
  targets?: readonly string[],
  excludes?: readonly string[],
): (address: string) => boolean {
  const only = targets !== undefined && targets.length > 0 ? new Set(targets) : undefined;
  const skip = new Set(excludes ?? []);
  return (address) => (only === undefined || only.has(address)) && !skip.has(address);
}

function byKindThenName(a: ResourceChange, b: ResourceChange): number {
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (k !== 0) return k;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
