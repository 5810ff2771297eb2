import { findProjectRoot } from '../../config/index.js';
import { closest, OutflowError } from '../../diagnostics/index.js';
import { displayConfig, type NormalizedConfig } from '../../plan/index.js';
import { describeLock, parseAddress } from '../../state/index.js';
import type { CommandContext } from '../context.js';
import { readProjectConfig, stateLocation } from '../state-location.js';

// Local state needs only outflow.yaml's Project, read leniently; a remote backend needs its
// Connection, so the project is loaded (its other problems do not stop a state command).
async function location(ctx: CommandContext) {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const project = readProjectConfig(root);
  const backend = project?.state?.backend;
  if (backend === undefined || backend === 'local') return stateLocation(root, project, { env: ctx.env });
  const { loadProject } = await import('../../project/load.js');
  const loaded = await loadProject(root, { env: ctx.env, secretsRequired: false });
  return stateLocation(root, loaded.model.project?.config ?? project, {
    connections: loaded.model.resources.Connection,
    env: ctx.env,
  });
}

/** `outflow state list`: one row per applied resource. */
export async function stateListCommand(ctx: CommandContext): Promise<number> {
  const { store, statePath } = await location(ctx);
  const state = await store.read();
  if (state === undefined) {
    ctx.output.out(`No state yet (${statePath} does not exist): nothing has been applied.`);
    return 0;
  }
  const rows = Object.entries(state.resources)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => [r.kind, r.name, r.appliedAt, r.configHash.slice(0, 12)]);
  const header = ['KIND', 'NAME', 'APPLIED AT', 'CONFIG HASH'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  ctx.output.out(
    [
      `State ${statePath}: serial ${state.serial}, lineage ${state.lineage}, ${rows.length} resource${rows.length === 1 ? '' : 's'}`,
      '',
      line(header),
      ...rows.map(line),
    ].join('\n'),
  );
  return 0;
}

/** `outflow state show KIND/NAME`: the stored record as JSON, secrets shown as (sensitive). */
export async function stateShowCommand(ctx: CommandContext, addressText: string): Promise<number> {
  if (parseAddress(addressText) === undefined)
    throw new OutflowError('invalid-address', `"${addressText}" is not KIND/NAME`, {
      hint: 'for example: outflow state show Export/buyers_daily',
    });
  const { store, statePath } = await location(ctx);
  const state = await store.read();
  const record = state?.resources[addressText];
  if (record === undefined) {
    const near = closest(addressText, Object.keys(state?.resources ?? {}));
    throw new OutflowError('not-in-state', `${addressText} is not in the state (${statePath})`, {
      hint: near === undefined ? 'run "outflow state list" to see what is stored' : `did you mean ${near}?`,
    });
  }
  const shown = { ...record, config: displayConfig(record.config as NormalizedConfig) };
  ctx.output.out(JSON.stringify(shown, null, 2));
  return 0;
}

/** `outflow state unlock [--force]`: breaks the state lock and says whose it was. */
export async function stateUnlockCommand(ctx: CommandContext, options: { force?: boolean }): Promise<number> {
  const { store, lockPath } = await location(ctx);
  const result = await store.unlock({ force: options.force === true });
  if (!result.removed) ctx.output.out(`No state lock to remove (${lockPath} does not exist).`);
  else if (result.holder === undefined) ctx.output.out(`Removed the unreadable state lock ${lockPath}.`);
  else ctx.output.out(`Removed the state lock held by ${describeLock(result.holder)}.`);
  return 0;
}
