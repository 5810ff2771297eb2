import { join } from 'node:path';
import { findProjectRoot } from '../../config/index.js';
import { closest, OutflowError } from '../../diagnostics/index.js';
import { diff, formatTime } from '../../plan/index.js';
import { formatBytes, renderStatusText, statusRows, table } from '../../render/index.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { modelStateLocation } from '../state-location.js';
import { OUTFLOW_VERSION } from '../version.js';
import { parseNow } from './plan.js';

export interface StatusOptions {
  format?: 'text' | 'json';
  now?: string;
}

async function load(ctx: CommandContext) {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const { project, ok } = await loadCheckedProject(ctx, root, { quietWarnings: true });
  if (!ok) return undefined;
  const loc = await modelStateLocation(root, project.model, ctx.env);
  return { root, model: project.model, state: await loc.store.read() };
}

/** `outflow status`: one row per export and activation (schedule, last run, next due). Read-only, no lock. */
export async function statusCommand(ctx: CommandContext, options: StatusOptions): Promise<number> {
  const now = parseNow(options.now);
  const loaded = await load(ctx);
  if (loaded === undefined) return 1;
  const { model, state } = loaded;
  const rows = statusRows(model, state, now);
  const drift = diff(model, state, { now, outflowVersion: OUTFLOW_VERSION }).resourceChanges.filter(
    (c) => c.action !== 'no-op',
  );
  if (options.format === 'json') {
    const pending = drift.map((c) => ({ address: c.address, action: c.action }));
    ctx.output.out(JSON.stringify({ now: now.toISOString(), unapplied: pending, rows }, null, 2));
    return 0;
  }
  ctx.output.out(renderStatusText(rows, now));
  if (drift.length > 0)
    ctx.output.out(
      `\nThe YAML differs from what was applied (${drift.map((c) => `${c.action} ${c.address}`).join(', ')}); outflow run uses neither until outflow apply.`,
    );
  return 0;
}

/** `outflow runs NAME`: an export's runs or an activation's syncs, oldest first: manifests, failures and their errors. */
export async function runsCommand(
  ctx: CommandContext,
  name: string,
  options: StatusOptions,
): Promise<number> {
  const loaded = await load(ctx);
  if (loaded === undefined) return 1;
  const { root, model, state } = loaded;
  const bare = name.replace(/^(Export|Activation)\//, '');
  const exp =
    (name.startsWith('Activation/') ? undefined : model.resources.Export.get(bare)) ??
    model.resources.Activation.get(bare);
  if (exp === undefined) {
    const near = closest(name, [...model.resources.Export.keys(), ...model.resources.Activation.keys()]);
    throw new OutflowError('unknown-name', `no export or activation named "${name}"`, {
      hint:
        near === undefined ? 'outflow status lists the exports and activations' : `did you mean "${near}"?`,
    });
  }
  const runs = state?.resources[exp.address]?.data?.runs ?? [];
  const conn = model.resources.Connection.get(exp.config.destination)?.config as
    | { root?: string }
    | undefined;
  const where = (manifest: string) =>
    manifest === '' ? '' : conn?.root === undefined ? manifest : join(conn.root, manifest);
  if (options.format === 'json') {
    const out = runs.map((r) => ({ ...r, manifestLocation: where(r.manifest) }));
    ctx.output.out(JSON.stringify({ export: exp.name, root, runs: out }, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    ctx.output.out(`${exp.address} has not run yet.`);
    return 0;
  }
  if (exp.kind === 'Activation') {
    // One line per audience of each sync: what it sent, how far it got, and why it failed.
    const header = ['SYNC', 'STATUS', 'AT', 'AUDIENCE', 'SEGMENT', 'ADDED', 'REMOVED', 'BATCHES', 'MEMBERS'];
    const cells = runs.flatMap((r) =>
      (r.sync === undefined || r.sync.length === 0 ? [undefined] : r.sync).map((s) => [
        r.runId,
        r.status,
        formatTime(r.window.to),
        s?.audience ?? '-',
        s?.segment ?? '-',
        s === undefined ? '-' : String(s.added),
        s === undefined ? '-' : String(s.removed),
        s === undefined ? '-' : `${s.delivered}/${s.batches}`,
        s?.members === undefined ? '-' : String(s.members),
      ]),
    );
    const errors = runs.flatMap((r) =>
      r.error === undefined ? [] : [`  ${r.runId}: error[${r.error.code}]: ${r.error.message}`],
    );
    ctx.output.out(
      [
        `${exp.address}: ${runs.length} sync${runs.length === 1 ? '' : 's'}`,
        '',
        ...table(header, cells),
        ...(errors.length === 0 ? [] : ['', 'Failures:', ...errors]),
      ].join('\n'),
    );
    return 0;
  }
  const header = ['RUN', 'STATUS', 'WINDOW', 'ROWS', 'FILES', 'BYTES', 'MANIFEST'];
  const cells = runs.map((r) => [
    r.runId,
    r.status,
    `${r.window.from === undefined ? '…' : formatTime(r.window.from)} → ${formatTime(r.window.to)}`,
    String(r.rows),
    String(r.files.length),
    formatBytes(r.bytes),
    r.status === 'failed'
      ? `(none: failed: error[${r.error?.code ?? 'unknown'}]: ${r.error?.message ?? r.reason ?? ''})`
      : r.status === 'skipped'
        ? `(none: ${r.reason ?? 'skipped'})`
        : r.manifest === ''
          ? '(none: manifest: false)'
          : where(r.manifest),
  ]);
  ctx.output.out(
    [`${exp.address}: ${runs.length} run${runs.length === 1 ? '' : 's'}`, '', ...table(header, cells)].join(
      '\n',
    ),
  );
  return 0;
}
