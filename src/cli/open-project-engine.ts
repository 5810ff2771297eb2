import { mkdir } from 'node:fs/promises';
import { relative } from 'node:path';
import { type ApplyDeps, engineDirectories } from '../apply/index.js';
import { type Destination, openDestination } from '../destinations/index.js';
import type { Engine } from '../engine/index.js';
import type { Model, ResourceNode } from '../model/index.js';
import { openWarehouse, projectLayout } from '../project/layout.js';
import type { StateDocument } from '../state/index.js';

/**
 * Opens the project's warehouse, locked down to its data, staging and reject folders. A draft
 * gets an in-memory warehouse instead, so the real one is never touched.
 */
export async function openProjectEngine(
  root: string,
  model: Model,
  options: { draft?: boolean } = {},
): Promise<Engine> {
  const dirs = engineDirectories(root, model);
  await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
  const layout = projectLayout(root, model.project?.config);
  return openWarehouse(layout, options.draft === true ? 'draft' : 'read-write', dirs);
}

/** What apply and run execute through: the project's warehouse, its destinations, the wall clock. */
export function projectApplyDeps(
  root: string,
  model: Model,
  options: {
    draft?: boolean;
    env: Readonly<Record<string, string | undefined>>;
    /** --debug: one line per webhook request and response (credentials redacted). */
    debug?: ((line: string) => void) | undefined;
  },
): ApplyDeps {
  return {
    openEngine: () => openProjectEngine(root, model, options),
    destination: (connection) => openDestination(connection, { root, env: options.env }),
    webhook: async (connection) =>
      (await import('../activations/open.js')).openWebhook(connection, {
        root,
        env: options.env,
        debug: options.debug,
      }),
    clock: () => new Date(),
  };
}

/**
 * With remote state, brings this machine's warehouse in line with the state from the warehouse
 * segments the state lists (see refreshRemoteWarehouse): a fresh runner rebuilds it, a restored
 * cache loads what it lacks, a cache that disagrees is refreshed. Local state: nothing to do, the
 * warehouse sits beside it. Returns a line saying what was loaded, or undefined.
 */
export async function guardWarehouse(
  root: string,
  model: Model,
  state: StateDocument,
  location: { remote: boolean; statePath: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const target = segmentTarget(model);
  if (!location.remote || target === undefined) return undefined;
  const layout = projectLayout(root, model.project?.config);
  const { refreshRemoteWarehouse } = await import('../project/warehouse-rebuild.js');
  const { prefixedKey } = await import('../destinations/credentials.js');
  let destination: Destination | undefined;
  try {
    const flows = new Map([...model.resources.Dataflow.values()].map((f) => [f.name, f.config]));
    const refresh = await refreshRemoteWarehouse({
      warehouse: layout.warehouse,
      shownWarehouse: relative(root, layout.warehouse),
      state,
      stateShown: location.statePath,
      flows,
      open: () => openProjectEngine(root, model),
      stagingDir: layout.stagingDir,
      download: async (key, file) => {
        destination ??= await openDestination(target.connection, { root, env });
        await destination.download(prefixedKey(target.prefix, key), file);
      },
    });
    if (
      refresh.loaded === 0 &&
      refresh.snapshots === 0 &&
      refresh.syncs === 0 &&
      refresh.rebuilt.length === 0 &&
      refresh.discarded === 0
    )
      return undefined;
    const snapshots =
      refresh.snapshots === 0
        ? ''
        : ` and ${refresh.snapshots} activation snapshot${refresh.snapshots === 1 ? '' : 's'}`;
    const parts = [
      `${refresh.created ? 'rebuilt' : 'brought up to date'} from ${refresh.loaded} segment${refresh.loaded === 1 ? '' : 's'}${snapshots} (${refresh.bytes} bytes)`,
      ...(refresh.rebuilt.length > 0 && !refresh.created
        ? [`refreshed ${refresh.rebuilt.join(', ')} (it disagreed with the state)`]
        : []),
      ...(refresh.discarded > 0 ? [`removed ${refresh.discarded} rows the state does not record`] : []),
      ...(refresh.syncs > 0
        ? [
            `${refresh.syncs} unfinished activation sync${refresh.syncs === 1 ? '' : 's'} taken over from the state (sent again with the same webhook-ids)`,
          ]
        : []),
    ];
    return `warehouse ${relative(root, layout.warehouse)}: ${parts.join('; ')}`;
  } finally {
    await destination?.close();
  }
}

/** Remote state: the Connection and prefix warehouse segments go to (undefined for local state). */
export function segmentTarget(
  model: Model,
): { connection: ResourceNode<'Connection'>; prefix: string } | undefined {
  const state = model.project?.config.state;
  if (state === undefined || state.backend === 'local' || state.connection === undefined) return undefined;
  const connection = model.resources.Connection.get(state.connection);
  if (connection === undefined || state.prefix === undefined) return undefined;
  return { connection, prefix: state.prefix };
}
