import type { ConfigDocument, ConfigPath } from '../config/index.js';
import type { Diagnostic, SourcePosition } from '../diagnostics/index.js';
import { errorAt } from '../diagnostics/index.js';
import type { Resource } from '../schema/index.js';
import type {
  ResolvedActivation,
  ResolvedAudience,
  ResolvedConnection,
  ResolvedDataflow,
  ResolvedExport,
  ResolvedProject,
} from './defaults.gen.js';
import { withDefaults } from './defaults.js';

/** Each kind's config as the model holds it: every default resolved (see `resolveConfig`). */
export type KindMap = {
  Project: ResolvedProject;
  Connection: ResolvedConnection;
  Dataflow: ResolvedDataflow;
  Audience: ResolvedAudience;
  Export: ResolvedExport;
  Activation: ResolvedActivation;
};
export type Kind = keyof KindMap;
export const RESOURCE_KINDS: readonly Kind[] = [
  'Project',
  'Connection',
  'Dataflow',
  'Audience',
  'Export',
  'Activation',
];

/** A validated resource and where it was declared. */
export interface ResourceNode<K extends Kind = Kind> {
  kind: K;
  name: string;
  /** `Kind/name`, the resource's address in plans and state. */
  address: string;
  config: KindMap[K];
  file: string;
  locate(path: ConfigPath, options?: { key?: boolean }): SourcePosition;
}

/** The whole desired configuration: every resource by kind and name. */
export interface Model {
  project: ResourceNode<'Project'> | undefined;
  resources: { [K in Kind]: Map<string, ResourceNode<K>> };
  /** Addresses of resources that are declared but failed schema validation: not reported again as missing. */
  invalid: Set<string>;
}

export function emptyModel(): Model {
  return {
    project: undefined,
    resources: {
      Project: new Map(),
      Connection: new Map(),
      Dataflow: new Map(),
      Audience: new Map(),
      Export: new Map(),
      Activation: new Map(),
    },
    invalid: new Set(),
  };
}

export function allResources(model: Model): ResourceNode[] {
  return RESOURCE_KINDS.flatMap((k) => [...model.resources[k].values()] as ResourceNode[]);
}

/** The project's time zone (schedules, date tokens): its resolved `timezone`, or the schema's default without a Project. */
export function projectTimezone(model: Model): string {
  return model.project?.config.timezone ?? 'UTC';
}

export function address(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** Builds the model from schema-valid documents; reports duplicate names and misplaced kinds. */
export function buildModel(
  documents: readonly ConfigDocument[],
  projectFile: string,
  invalidDocuments: readonly ConfigDocument[] = [],
): { model: Model; diagnostics: Diagnostic[] } {
  const model = emptyModel();
  for (const doc of invalidDocuments) {
    const v = doc.value as { kind?: unknown; name?: unknown } | null;
    if (typeof v?.kind === 'string' && typeof v.name === 'string') model.invalid.add(address(v.kind, v.name));
  }
  const diagnostics: Diagnostic[] = [];
  for (const doc of documents) {
    const config = doc.value as Resource;
    const kind = config.kind as Kind;
    const inProjectFile = doc.file.path === projectFile;
    if (kind === 'Project' && !inProjectFile) {
      diagnostics.push(
        errorAt(
          doc.locate(['kind']),
          'misplaced-kind',
          `a Project may only be declared in ${projectFile}`,
          `move it to ${projectFile} (one Project per project)`,
        ),
      );
      continue;
    }
    if (kind !== 'Project' && inProjectFile) {
      diagnostics.push(
        errorAt(
          doc.locate(['kind']),
          'misplaced-kind',
          `${projectFile} may only hold the Project; found a ${kind}`,
          `move this ${kind} to a file under flows/`,
        ),
      );
      continue;
    }
    const byName = model.resources[kind] as Map<string, ResourceNode>;
    const previous = byName.get(config.name);
    if (previous !== undefined) {
      const first = previous.locate(['name']);
      diagnostics.push(
        errorAt(
          doc.locate(['name']),
          'duplicate-name',
          `${kind} "${config.name}" is already declared at ${first.file}:${first.line}:${first.column}`,
          `names are unique per kind; rename one of them`,
        ),
      );
      continue;
    }
    const node: ResourceNode = {
      kind,
      name: config.name,
      address: address(kind, config.name),
      config: config as KindMap[Kind],
      file: doc.file.path,
      locate: doc.locate,
    };
    byName.set(config.name, node);
    if (kind === 'Project') model.project = node as ResourceNode<'Project'>;
  }
  resolveDefaults(model);
  return { model, diagnostics };
}

// Resolved configs by the parsed config object and the project time zone they were resolved
// under: an unchanged document keeps its resolved config object (watch memoises by identity).
const resolved = new WeakMap<object, { timezone: string; config: unknown }>();

/**
 * Every node's config with its defaults resolved, once: the schema's `default`s
 * (`withDefaults`), then the defaults that depend on another resource — a cron schedule without
 * a `timezone` runs in the project's, a column without `from` or `expr` reads the source column
 * of its own name.
 */
function resolveDefaults(model: Model): void {
  if (model.project !== undefined) resolveNode(model.project, 'UTC');
  const timezone = projectTimezone(model);
  for (const node of allResources(model)) if (node.kind !== 'Project') resolveNode(node, timezone);
}

function resolveNode<K extends Kind>(node: ResourceNode<K>, timezone: string): KindMap[K] {
  const raw = node.config as object;
  const known = resolved.get(raw);
  if (known !== undefined && known.timezone === timezone) {
    node.config = known.config as KindMap[K];
    return node.config;
  }
  const config = withDefaults(node.kind, node.config) as KindMap[Kind];
  if (config.kind === 'Export' || config.kind === 'Activation') {
    const schedule = config.schedule;
    if (schedule !== undefined && 'cron' in schedule && schedule.timezone === undefined)
      schedule.timezone = timezone;
  }
  if (config.kind === 'Dataflow')
    for (const column of config.schema.columns)
      if (column.expr === undefined && column.from === undefined) column.from = column.name;
  resolved.set(raw, { timezone, config });
  node.config = config as KindMap[K];
  return node.config;
}
