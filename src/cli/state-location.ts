import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_FILE } from '../config/index.js';
import { OutflowError } from '../diagnostics/index.js';
import type { Model, ResourceNode } from '../model/index.js';
import { projectLayout } from '../project/layout.js';
import type { Project } from '../schema/index.js';
import { LocalStateStore, type StateStore } from '../state/index.js';
import { requireVendored } from '../vendored.js';

/** Where a project's state and its lock live. */
export interface StateLocation {
  /** The state as shown to users: a project-relative path, or `s3://bucket/prefix/state.json`. */
  statePath: string;
  /** The lock as shown to users. */
  lockPath: string;
  /** Reads, writes and locks the state (local file or remote object). */
  store: StateStore;
  /** The same store, as apply's StateBackend. */
  backend: StateStore;
  /** True for s3, gcs and azure. */
  remote: boolean;
}

export interface StateLocationContext {
  /** The project's Connections (remote backends need theirs). */
  connections?: ReadonlyMap<string, ResourceNode<'Connection'>> | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** The state store for `project` (the Project config; undefined: defaults). Cloud SDKs load only for remote backends. */
export async function stateLocation(
  root: string,
  project: Project | undefined,
  context: StateLocationContext,
): Promise<StateLocation> {
  const state = project?.state;
  if (state === undefined || state.backend === 'local') {
    const { statePath, lockPath, lockFile } = projectLayout(root, project);
    const store = new LocalStateStore(statePath, lockFile, lockPath, root);
    return { statePath, lockPath, store, backend: store, remote: false };
  }
  const backend = state.backend;
  const name = state.connection;
  const connection = name === undefined ? undefined : context.connections?.get(name);
  if (connection === undefined || connection.config.type !== backend || state.prefix === undefined) {
    throw new OutflowError(
      'state-connection-invalid',
      name === undefined || connection === undefined
        ? `state backend ${backend} needs state.connection naming a ${backend} Connection${name === undefined ? '' : ` ("${name}" is not one)`}`
        : connection.config.type !== backend
          ? `state.connection "${name}" is a ${connection.config.type} connection, not ${backend}`
          : `state backend ${backend} needs state.prefix`,
      { hint: 'run "outflow validate" to see what to fix in outflow.yaml' },
    );
  }
  const [{ openConditionalObjects }, { RemoteStateStore }] = await Promise.all([
    import('../destinations/conditional.js'),
    import('../state/remote-store.js'),
  ]);
  const objects = await openConditionalObjects(connection, { root, env: context.env });
  const store = new RemoteStateStore(backend, objects, state.prefix);
  return { statePath: store.describe(), lockPath: store.describeLock(), store, backend: store, remote: true };
}

/** The state store of a loaded model's project. */
export function modelStateLocation(
  root: string,
  model: Model,
  env: Readonly<Record<string, string | undefined>>,
): Promise<StateLocation> {
  return stateLocation(root, model.project?.config, { connections: model.resources.Connection, env });
}

/**
 * The Project document from outflow.yaml, read leniently: `state` commands must work even when
 * the rest of the configuration does not validate.
 */
export function readProjectConfig(root: string): Project | undefined {
  try {
    // Loaded here only: most commands read outflow.yaml through the config loader and its cache.
    const { parse } = requireVendored<typeof import('yaml')>('yaml');
    const value = parse(readFileSync(join(root, PROJECT_FILE), 'utf8'), { maxAliasCount: 10 }) as unknown;
    return typeof value === 'object' && value !== null ? (value as Project) : undefined;
  } catch {
    return undefined;
  }
}
