import { mkdir } from 'node:fs/promises';
import { relative } from 'node:path';
import { type ApplyDeps, engineDirectories } from '../apply/index.js';
import { openDestination } from '../destinations/index.js';
import type { Engine } from '../engine/index.js';
import type { Model } from '../model/index.js';
import { openWarehouse, projectLayout } from '../project/layout.js';
import { checkWarehouseBelongsToState } from '../project/warehouse-lineage.js';
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
 * With remote state, refuses to go on when this machine's warehouse is not the one the state's
 * data lives in (see checkWarehouseBelongsToState); records the lineage otherwise. Local state:
 * nothing to check, the warehouse sits beside it.
 */
export async function guardWarehouse(
  root: string,
  model: Model,
  state: StateDocument,
  location: { remote: boolean; statePath: string },
): Promise<void> {
  if (!location.remote) return;
  const layout = projectLayout(root, model.project?.config);
  await checkWarehouseBelongsToState(
    layout.warehouse,
    relative(root, layout.warehouse),
    state,
    location.statePath,
    () => openProjectEngine(root, model),
  );
}
