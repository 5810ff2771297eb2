import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OutflowError } from '../diagnostics/index.js';

export const PROJECT_FILE = 'outflow.yaml';

/** The project root: `dir` itself when given (-C), else the nearest ancestor of `cwd` holding outflow.yaml. */
export function findProjectRoot(cwd: string, dir?: string): string {
  if (dir !== undefined) {
    const root = resolve(cwd, dir);
    if (!existsSync(join(root, PROJECT_FILE))) {
      throw new OutflowError('project-not-found', `no ${PROJECT_FILE} in ${root}`, {
        hint: `create a project there with "outflow init ${dir}", or point -C at the folder that holds ${PROJECT_FILE}`,
      });
    }
    return root;
  }
  let current = resolve(cwd);
  for (;;) {
    if (existsSync(join(current, PROJECT_FILE))) return current;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  throw new OutflowError(
    'project-not-found',
    `no ${PROJECT_FILE} found in ${resolve(cwd)} or any parent folder`,
    {
      hint: 'run "outflow init" to create a project, or pass -C DIR to point at one',
    },
  );
}
