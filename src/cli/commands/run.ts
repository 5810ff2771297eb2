import { applyPlan } from '../../apply/index.js';
import { findProjectRoot } from '../../config/index.js';
import { closest, OutflowError } from '../../diagnostics/index.js';
import { type Model, projectTimezone } from '../../model/index.js';
import {
  activationDueInput,
  type DataAction,
  dataActions,
  diff,
  exportDueInput,
  formatTime,
  nextDue,
  type Plan,
  resolveRunNames,
  scheduleDue,
  selectRunActions,
} from '../../plan/index.js';
import { planView, reasonText, skippedStreamFileNotes } from '../../render/index.js';
import type { StateDocument } from '../../state/index.js';
import { applyReport } from '../apply-report.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { guardWarehouse, projectApplyDeps, segmentTarget } from '../open-project-engine.js';
import { createProgress } from '../progress.js';
import { modelStateLocation } from '../state-location.js';
import { observeStreamFiles, withSkippedStreamFiles } from '../stream-files.js';
import { OUTFLOW_VERSION } from '../version.js';
import { parseNow } from './plan.js';

export interface RunOptions {
  due?: boolean;
  now?: string;
  wait?: string;
  force?: boolean;
}

/** `30s`, `2m`, `1h`, `500ms` or plain seconds, in milliseconds. */
export function parseWait(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null)
    throw new OutflowError('invalid-arguments', `--wait ${text} is not a duration`, {
      hint: 'write --wait 30s, --wait 2m or --wait 1h',
    });
  const unit = m[2] ?? 's';
  return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

/**
 * `outflow run [NAME…] [--due]`: under the state lock, for the applied config only, ingests the new
 * stream files of the dataflows that the due (or named) exports and activations read, then runs
 * them through apply's publication protocol. Exit 0 when all of it succeeded (or nothing was due).
 */
export async function runCommand(ctx: CommandContext, names: string[], options: RunOptions): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const now = parseNow(options.now);
  const wait = parseWait(options.wait);
  const { project, ok } = await loadCheckedProject(ctx, root, { refusal: 'nothing run' });
  if (!ok) return 1;
  const model = project.model;
  const named = namedAddresses(ctx, model, names, options.force === true);
  if (named === undefined) return 1;
  const loc = await modelStateLocation(root, model, ctx.env);
  const lock = await loc.store.acquireLock({ operation: 'run', wait });
  try {
    const state = await loc.store.read();
    const observed = await observeStreamFiles(root, model, ctx.env);
    const plan = withSkippedStreamFiles(
      diff(model, state, { now, outflowVersion: OUTFLOW_VERSION, observed }),
      observed,
    );
    if (state === undefined) {
      ctx.output.err(
        '✗ nothing has been applied yet: run executes the applied config; run outflow plan / outflow apply first',
      );
      return 1;
    }
    if (plan.resourceChanges.some((c) => c.action !== 'no-op')) {
      const changesOnly = { ...plan, dataActions: [], summary: { ...plan.summary, dataActions: 0 } };
      ctx.output.out(planView('text', { color: ctx.output.color }).plan(changesOnly));
      ctx.output.err(
        '✗ the YAML differs from what was applied (changes above): run executes the applied config; run outflow plan / outflow apply first',
      );
      return 1;
    }
    const actions = new Map(plan.resourceChanges.map((c) => [c.address, c.action]));
    const all = dataActions(model, state, actions, now, observed, { runNow: named });
    const due = options.due === true || names.length === 0;
    const chosen = selectRunActions(model, all, { named, due });
    const runs = chosen.filter((a) => a.type !== 'ingest');
    ctx.output.out(`outflow run at ${now.toISOString()} (state serial ${state.serial})`);
    for (const note of skippedStreamFileNotes(plan)) ctx.output.out(note);
    for (const line of notRunLines(model, state, now, runs, due)) ctx.output.out(line);
    if (runs.length === 0) {
      ctx.output.out(due ? 'Nothing due.' : 'Nothing to run.');
      return 0;
    }
    const refreshed = await guardWarehouse(root, model, state, loc, ctx.env);
    if (refreshed !== undefined) ctx.output.out(refreshed);
    for (const a of chosen) ctx.output.out(`→ ${label(a)}: ${reasonText(a.reason)}`);
    const runPlan: Plan = {
      ...plan,
      resourceChanges: [],
      dataActions: chosen,
      summary: { ...plan.summary, dataActions: chosen.length },
    };
    const result = await applyPlan(
      {
        root,
        model,
        plan: runPlan,
        state,
        backend: loc.store,
        segments: loc.remote ? segmentTarget(model) : undefined,
        now,
        version: OUTFLOW_VERSION,
        streamFiles: observed.streamFiles ?? {},
        progress: await createProgress(ctx.output),
      },
      projectApplyDeps(root, model, {
        env: ctx.env,
        debug: ctx.debug ? (line) => ctx.output.err(line) : undefined,
      }),
    );
    const report = applyReport(result, 'Run');
    if (report.out !== undefined) ctx.output.out(report.out.trimStart());
    if (report.err !== undefined) ctx.output.err(report.err.trimStart());
    if (ctx.debug && result.error instanceof Error && result.error.stack) ctx.output.err(result.error.stack);
    return result.error === undefined ? 0 : 1;
  } finally {
    await lock.release();
  }
}

// The addresses named on the command line; undefined (after saying why) when one cannot run.
function namedAddresses(
  ctx: CommandContext,
  model: Model,
  names: string[],
  force: boolean,
): Set<string> | undefined {
  const out = new Set<string>();
  let bad = false;
  for (const target of resolveRunNames(model, names, closest)) {
    if (!target.ok) {
      ctx.output.err(`error[unknown-name]: ${target.message}\n  hint: ${target.hint}`);
      bad = true;
    } else if (!target.enabled && !force) {
      ctx.output.err(
        `error[disabled]: ${target.address} is disabled (enabled: false)\n  hint: run it anyway with --force, or set enabled: true and apply`,
      );
      bad = true;
    } else out.add(target.address);
  }
  return bad ? undefined : out;
}

// One plain line per export or activation that does not run now, with why and when it next will.
function notRunLines(
  model: Model,
  state: StateDocument,
  now: Date,
  runs: DataAction[],
  due: boolean,
): string[] {
  if (!due) return [];
  const running = new Set(runs.map((a) => a.address));
  const timezone = projectTimezone(model);
  const lines: string[] = [];
  const nodes = [...model.resources.Export.values(), ...model.resources.Activation.values()];
  for (const node of nodes) {
    if (running.has(node.address)) continue;
    const data = state.resources[node.address]?.data;
    const input =
      node.kind === 'Export'
        ? exportDueInput(model.resources.Export.get(node.name)!.config, data, now, timezone)
        : activationDueInput(model.resources.Activation.get(node.name)!.config, data, now, timezone);
    const decision = scheduleDue(input);
    const next = nextDue(input);
    const when = next === undefined ? '' : `; next ${formatTime(next.toISOString())}`;
    lines.push(`· ${node.address}: ${reasonText(decision.reason)}${when}`);
  }
  return lines;
}

function label(a: DataAction): string {
  return a.type === 'ingest'
    ? `ingest ${a.address}`
    : a.type === 'export'
      ? `export ${a.address} (run ${a.runId})`
      : `sync ${a.address}`;
}
