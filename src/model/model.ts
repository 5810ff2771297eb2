import type { ConfigDocument, ConfigPath } from '../config/index.js';
import type { Diagnostic, SourcePosition } from '../diagnostics/index.js';
import { errorAt } from '../diagnostics/index.js';
import type {
  Activation,
  Audience,
  Connection,
  Dataflow,
  Export,
  Project,
  Resource,
} from '../schema/index.js';

export type KindMap = {
  Project: Project;
  Connection: Connection;
  Dataflow: Dataflow;
  Audience: Audience;
  Export: Export;
  Activation: Activation;
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
      config,
      file: doc.file.path,
      locate: doc.locate,
    };
    byName.set(config.name, node);
    if (kind === 'Project') model.project = node as ResourceNode<'Project'>;
  }
  return { model, diagnostics };
}
