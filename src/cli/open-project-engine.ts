import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engineDirectories } from '../apply/index.js';
import type { Engine } from '../engine/index.js';
import type { Model } from '../model/index.js';

/**
 * Opens the project's warehouse, locked down to its data, staging and reject folders. A draft
 * gets an in-memory warehouse instead, so the real one is never touched.
 */
export async function openProjectEngine(
  root: string,
  model: Model,
  options: { draft?: boolean } = {},
): Promise<Engine> {
  const engineConfig = model.project?.config.engine;
  const dirs = engineDirectories(root, model);
  await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
  const { openEngine } = await import('../engine/index.js');
  return openEngine({
    database:
      options.draft === true ? ':memory:' : join(root, engineConfig?.database ?? '.outflow/warehouse.duckdb'),
    allowedDirectories: dirs,
    ...(engineConfig?.memoryLimit === undefined ? {} : { memoryLimit: engineConfig.memoryLimit }),
    ...(engineConfig?.threads === undefined ? {} : { threads: engineConfig.threads }),
    ...(options.draft === true ? { tempDirectory: join(root, '.outflow', 'staging') } : {}),
  });
}
