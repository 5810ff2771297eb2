import { join } from 'node:path';
import type { Engine } from '../engine/index.js';
import type { Project } from '../schema/index.js';
import { openWarehouseFile } from './warehouse-file.js';

/** outflow's own folder in a project (git-ignored): state, lock, warehouse, staging, rejects. */
export const OUTFLOW_DIR = '.outflow';
/** Where `state: {backend: local}` keeps state, relative to the project root. */
export const DEFAULT_STATE_PATH = `${OUTFLOW_DIR}/state.json`;
/** Where the state lock lives beside the default state, relative to the project root. */
export const DEFAULT_LOCK_PATH = `${OUTFLOW_DIR}/state.lock`;
/** The warehouse when `engine.database` is not set, relative to the project root. */
export const DEFAULT_WAREHOUSE_PATH = `${OUTFLOW_DIR}/warehouse.duckdb`;

/** Every path outflow keeps in a project; absolute unless said otherwise. */
export interface ProjectLayout {
  readonly root: string;
  readonly outflowDir: string;
  /** The local state file as the user wrote it (project-relative), for messages. */
  readonly statePath: string;
  /** The lock file beside it (project-relative). */
  readonly lockPath: string;
  readonly stateFile: string;
  readonly lockFile: string;
  /** The DuckDB warehouse file (`engine.database`, default `.outflow/warehouse.duckdb`). */
  readonly warehouse: string;
  /** Per-run staging folders live here. */
  readonly stagingDir: string;
  /** Reject reports of ingests live here, one folder per dataflow. */
  readonly rejectsDir: string;
  /** The `engine` settings of the Project. */
  readonly engine: Project['engine'];
  runStagingDir(exportName: string, runId: string): string;
  rejectDir(dataflow: string): string;
}

/** The layout of the project at `root` with Project config `project` (undefined: all defaults). */
export function projectLayout(root: string, project?: Project): ProjectLayout {
  const state = project?.state?.backend === 'local' ? project.state : undefined;
  const statePath = state?.path ?? DEFAULT_STATE_PATH;
  const lockPath =
    statePath === DEFAULT_STATE_PATH ? DEFAULT_LOCK_PATH : `${statePath.replace(/\.json$/, '')}.lock`;
  const stagingDir = join(root, OUTFLOW_DIR, 'staging');
  const rejectsDir = join(root, OUTFLOW_DIR, 'rejects');
  return {
    root,
    outflowDir: join(root, OUTFLOW_DIR),
    statePath,
    lockPath,
    stateFile: join(root, statePath),
    lockFile: join(root, lockPath),
    warehouse: join(root, project?.engine?.database ?? DEFAULT_WAREHOUSE_PATH),
    stagingDir,
    rejectsDir,
    engine: project?.engine,
    runStagingDir: (exportName, runId) => join(stagingDir, exportName, runId),
    rejectDir: (dataflow) => join(rejectsDir, dataflow),
  };
}

/**
 * How a command uses the warehouse: `read-write` for apply and run (created safely when
 * missing), `read-only` for plan impact and preview (it must exist), `draft` in memory.
 */
export type WarehouseAccess = 'read-write' | 'read-only' | 'draft';

/** Opens the project's warehouse with the Project's engine settings, locked down to `allowedDirectories`. */
export async function openWarehouse(
  layout: ProjectLayout,
  access: WarehouseAccess,
  allowedDirectories: readonly string[],
): Promise<Engine> {
  const { openEngine } = await import('../engine/index.js');
  const settings = {
    ...(layout.engine?.memoryLimit === undefined ? {} : { memoryLimit: layout.engine.memoryLimit }),
    ...(layout.engine?.threads === undefined ? {} : { threads: layout.engine.threads }),
  };
  if (access === 'draft') {
    // In memory, spilling to staging: the real warehouse is never touched.
    return openEngine({
      database: ':memory:',
      allowedDirectories,
      tempDirectory: layout.stagingDir,
      ...settings,
    });
  }
  if (access === 'read-only') {
    return openEngine({ database: layout.warehouse, readOnly: true, allowedDirectories, ...settings });
  }
  return openWarehouseFile(layout.warehouse, (database) =>
    openEngine({ database, allowedDirectories, ...settings }),
  );
}
