import {
  allResources,
  buildGraph,
  type Model,
  type ResourceGraph,
  type ResourceNode,
} from '../model/index.js';
import type { ResourceState, StateDocument } from '../state/index.js';
import { isPlainObject } from './canonical.js';
import { breakingReasons, identityChanges, isMetadataOnly } from './classify.js';
import { dataActions, type Observed } from './data-actions.js';
import { diffConfigs } from './field-diff.js';
import { fingerprint, fingerprintOf, type NormalizeMemo } from './fingerprint.js';
import { planConfigHash } from './model-hash.js';
import { type NormalizedConfig, normalizeConfig } from './normalize.js';
import type { ChangeReason } from './reasons.js';
import {
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanProblem,
  type PlanWarning,
  type ResourceChange,
} from './types.js';

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

const KIND_ORDER = ['Project', 'Connection', 'Dataflow', 'Audience', 'Export', 'Activation'];

/** The plan that takes `state` (undefined: nothing applied yet) to `model`, at `options.now`. */
export function diff(model: Model, state: StateDocument | undefined, options: DiffOptions): Plan {
  const changes: ResourceChange[] = [];
  const desired = new Map<string, string>();
  for (const node of allResources(model)) {
    const { config: after, hash } = fingerprint(node, options.memo);
    desired.set(node.address, hash);
    changes.push(changeOf(node, after, hash, state?.resources[node.address]));
  }
  for (const [address, stored] of Object.entries(state?.resources ?? {}))
    if (!desired.has(address)) changes.push(deletionOf(address, stored));
  changes.sort(byKindThenName);

  const graph = buildGraph(model);
  markDependencies(changes, graph);
  markAffected(changes, graph);
  const included = addressFilter(graph, options.targets, options.excludes);
  const resourceChanges = changes.filter((c) => included(c.address));
  const actions = new Map(changes.map((c) => [c.address, c.action]));
  const data =
    options.dataActions === false
      ? []
      : dataActions(model, state, actions, options.now, options.observed ?? {}).filter((a) =>
          included(a.address),
        );
  const problems = resourceChanges.flatMap(protectionProblems);
  const warnings = untestedConnections(model, state).filter((w) => included(w.address));
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
    ...(warnings.length === 0 ? {} : { warnings }),
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
  // The common case (every resource of a no-op plan), as one literal: the same keys in the same
  // order as the spreads below would give, without them.
  if (stored !== undefined && stored.configHash === hash)
    return {
      address: node.address,
      kind: node.kind,
      name: node.name,
      file: node.file,
      action: 'no-op',
      reason: { code: 'unchanged' },
      classification: 'non-breaking',
      breaking: [],
      before: after,
      after,
      changes: [],
    };
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
      reason: { code: 'not-in-state' },
      ...calm,
      after,
      changes: diffConfigs({}, after),
    };
  // Normalised again under today's defaults: a default written out by a newer version, or a
  // state written before a default existed, is not a change.
  const { config: before, hash: storedHash } = fingerprintOf(normalizeConfig(node.kind, stored.config));
  if (storedHash === hash)
    return { ...base, action: 'no-op', reason: { code: 'unchanged' }, ...calm, before, after, changes: [] };
  const fieldChanges = diffConfigs(before, after);
  const replace = identityChanges(node.kind, before, after);
  const breaking = breakingReasons(node.kind, before, after);
  if (replace.length > 0) {
    if (node.kind === 'Dataflow') breaking.push({ code: 'dataflow-replaced' });
    if (isProtectedConfig(after) || isProtectedConfig(before)) breaking.push({ code: 'protected-replaced' });
  }
  const reason: ChangeReason =
    replace.length > 0
      ? { code: 'identity-changed', fields: replace }
      : fieldChanges.length === 0
        ? { code: 'hash-changed' }
        : { code: 'fields-changed', paths: groupedPaths(fieldChanges.map((c) => c.path)) };
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
    reason: { code: 'not-in-configuration' },
    classification: isProtected ? 'breaking' : 'non-breaking',
    breaking: isProtected ? [{ code: 'protected-deleted' }] : [],
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

// Changed paths cut to three levels (`schema.columns.email`), each once: enough to recognise the change.
function groupedPaths(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.split('.').slice(0, 3).join('.')))];
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

/**
 * Which addresses a targeted plan covers, as Terraform's targeting: the targets and everything
 * they depend on (so `--target Export/e` on a fresh project creates its dataflow too), less the
 * excluded ones and everything that depends on them.
 */
function addressFilter(
  graph: ResourceGraph,
  targets?: readonly string[],
  excludes?: readonly string[],
): (address: string) => boolean {
  const only =
    targets !== undefined && targets.length > 0
      ? new Set([...targets, ...graph.withDependencies(targets)])
      : undefined;
  const skip = new Set([...(excludes ?? []), ...graph.withDependents(excludes ?? [])]);
  return (address) => (only === undefined || only.has(address)) && !skip.has(address);
}

/** Each declared resource's direct dependencies, so a plan alone can draw the graph of a change. */
function markDependencies(changes: ResourceChange[], graph: ResourceGraph): void {
  for (const c of changes) {
    const deps = graph.dependencies(c.address);
    if (deps.length > 0) c.dependsOn = [...deps].sort();
  }
}

/**
 * Exports and dataflows whose store connection (s3, gcs, azure, sftp) was never tested with
 * `outflow connections test` nor published to: the first apply would be the first contact.
 */
function untestedConnections(model: Model, state: StateDocument | undefined): PlanWarning[] {
  const uses: { address: string; connection: string }[] = [
    ...[...model.resources.Export.values()]
      .filter((e) => e.config.enabled)
      .map((e) => ({ address: e.address, connection: e.config.destination })),
    ...[...model.resources.Dataflow.values()].flatMap((f) =>
      f.config.source.connection === undefined
        ? []
        : [{ address: f.address, connection: f.config.source.connection }],
    ),
  ];
  return uses.flatMap(({ address, connection }): PlanWarning[] => {
    const type = model.resources.Connection.get(connection)?.config.type;
    if (type === undefined || type === 'local' || type === 'webhook') return [];
    const check = state?.resources[`Connection/${connection}`]?.data?.check;
    if (check?.tested?.ok === true || check?.reachedAt !== undefined) return [];
    return [{ code: 'connection-untested', address, connection, type }];
  });
}

/** Unchanged resources downstream of a change: `affectedBy` names the changed resources they depend on. */
function markAffected(changes: ResourceChange[], graph: ResourceGraph): void {
  const changed = new Set(changes.filter((c) => c.action !== 'no-op').map((c) => c.address));
  if (changed.size === 0) return;
  for (const c of changes) {
    if (c.action !== 'no-op') continue;
    const upstream = [...graph.withDependencies([c.address])].filter(
      (a) => a !== c.address && changed.has(a),
    );
    if (upstream.length > 0) c.affectedBy = upstream.sort();
  }
}

function byKindThenName(a: ResourceChange, b: ResourceChange): number {
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (k !== 0) return k;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
