import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrors } from '../../src/diagnostics/index.js';
import { diff, recordApplied, sha256Hex } from '../../src/plan/index.js';
import { loadProject } from '../../src/project/load.js';
import {
  checkStateDocument,
  nextRevision,
  type ResourceData,
  type StateDocument,
} from '../../src/state/index.js';

export const APPLIED_AT = new Date('2026-11-19T12:00:00.000Z');
export const FIXTURE_VERSION = '0.1.0';

/** A stable UUID-shaped lineage per fixture, so generated state files are byte-stable. */
export function fixtureLineage(seed: string): string {
  const h = sha256Hex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The state an apply of the project in `baseDir` would leave: every resource recorded with
 * `recordApplied`, then the data facts in `dataFile` (`{address: ResourceData}`) merged in.
 */
export async function stateFromProject(
  baseDir: string,
  seed: string,
  dataFile?: string,
): Promise<StateDocument> {
  const loaded = await loadProject(baseDir, { env: {}, secretsRequired: false, checkExpressions: false });
  if (hasErrors(loaded.diagnostics))
    throw new Error(
      `base project ${baseDir} is invalid: ${loaded.diagnostics.map((d) => d.message).join('; ')}`,
    );
  const plan = diff(loaded.model, undefined, { now: APPLIED_AT, outflowVersion: FIXTURE_VERSION });
  let state: StateDocument = {
    formatVersion: 1,
    lineage: fixtureLineage(seed),
    serial: 0,
    outflowVersion: FIXTURE_VERSION,
    updatedAt: APPLIED_AT.toISOString(),
    resources: {},
  };
  for (const change of plan.resourceChanges) state = recordApplied(state, change, APPLIED_AT);
  if (dataFile !== undefined && existsSync(dataFile)) {
    const data = JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, ResourceData>;
    for (const [address, d] of Object.entries(data)) {
      const r = state.resources[address];
      if (r === undefined) throw new Error(`${dataFile}: ${address} is not in the base project`);
      r.data = d;
    }
  }
  state = nextRevision(state, APPLIED_AT, FIXTURE_VERSION);
  const check = checkStateDocument(state);
  if (!check.ok) throw new Error(`generated state is invalid: ${check.problems.join('; ')}`);
  return state;
}

/** The state file of a `plan-*` fixture with a `base/` project, as it is committed. */
export async function fixtureStateText(dir: string, name: string): Promise<string | undefined> {
  if (!existsSync(join(dir, 'base'))) return undefined;
  const state = await stateFromProject(join(dir, 'base'), name, join(dir, 'state-data.json'));
  return `${JSON.stringify(state, null, 2)}\n`;
}
