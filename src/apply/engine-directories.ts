import { resolve } from 'node:path';
import picomatch from 'picomatch';
import type { Model } from '../model/index.js';
import { projectLayout } from '../project/layout.js';

/** Folders DuckDB may touch: the stream files' folders and outflow's own staging and reject folders. */
export function engineDirectories(root: string, model: Model): string[] {
  const layout = projectLayout(root, model.project?.config);
  const dirs = new Set<string>([layout.stagingDir, layout.rejectsDir]);
  for (const flow of model.resources.Dataflow.values()) {
    if (flow.config.source.path !== undefined)
      dirs.add(resolve(root, picomatch.scan(flow.config.source.path).base || '.'));
  }
  return [...dirs];
}
