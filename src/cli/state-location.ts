import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_FILE } from '../config/index.js';
import { OutflowError } from '../diagnostics/index.js';
import { DEFAULT_STATE_PATH, projectLayout } from '../project/layout.js';
import type { Project } from '../schema/index.js';
import { LocalStateBackend } from '../state/index.js';

/** Where a project's state and its lock live (project-relative paths as the user wrote them). */
export interface StateLocation {
  statePath: string;
  lockPath: string;
  backend: LocalStateBackend;
  /** Absolute path of the lock file. */
  lockFile: string;
}

/** The local state backend and lock for `project` (the Project config; undefined: defaults). */
export function stateLocation(root: string, project: Project | undefined): StateLocation {
  const state = project?.state;
  if (state !== undefined && state.backend !== 'local') {
    throw new OutflowError(
      'state-backend-unsupported',
      `state backend "${state.backend}" is not supported yet`,
      {
        hint: `use state: {backend: local, path: ${DEFAULT_STATE_PATH}} for now`,
      },
    );
  }
  const { statePath, lockPath, lockFile } = projectLayout(root, project);
  return { statePath, lockPath, backend: new LocalStateBackend(statePath, { root }), lockFile };
}

/**
 * The Project document from outflow.yaml, read leniently: `state` commands must work even when
 * the rest of the configuration does not validate.
 */
export function readProjectConfig(root: string): Project | undefined {
  try {
    const value = parse(readFileSync(join(root, PROJECT_FILE), 'utf8'), { maxAliasCount: 10 }) as unknown;
    return typeof value === 'object' && value !== null ? (value as Project) : undefined;
  } catch {
    return undefined;
  }
}
