import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { applyPlan } from '../../apply/index.js';
import { findProjectRoot } from '../../config/index.js';
import { OutflowError } from '../../diagnostics/index.js';
import { diff, hasChanges, type Plan } from '../../plan/index.js';
import { planView } from '../../render/index.js';
import { emptyState, type StateLock } from '../../state/index.js';
import { applyReport } from '../apply-report.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { guardWarehouse, projectApplyDeps, segmentTarget } from '../open-project-engine.js';
import { createProgress } from '../progress.js';
import { loadSavedPlan } from '../saved-plan.js';
import { modelStateLocation } from '../state-location.js';
import { observeStreamFiles, withSkippedStreamFiles } from '../stream-files.js';
import { OUTFLOW_VERSION } from '../version.js';
import { checkAddresses, parseNow } from './plan.js';

export interface ApplyOptions {
  autoApprove?: boolean;
  target?: string[];
  now?: string;
  draft?: boolean;
  /** False: do not print the plan first (`watch --draft` has just shown it). Default true. */
  showPlan?: boolean;
}

async function confirm(ctx: CommandContext): Promise<boolean> {
  if (!ctx.output.interactive) {
    throw new OutflowError(
      'approval-required',
      'apply needs approval, and this is not an interactive terminal',
      {
        hint: 'review the plan above, then run "outflow apply --auto-approve" (or apply a saved plan: outflow plan --out plan.json && outflow apply plan.json)',
      },
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('\nApply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

/**
 * `outflow apply [PLANFILE]`: executes the plan (or a saved one) under the state lock, saving
 * state after every completed item. Exit 0 when everything was applied, 1 otherwise.
 */
export async function applyCommand(
  ctx: CommandContext,
  planFile: string | undefined,
  options: ApplyOptions,
): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const now = parseNow(options.now);
  const draft = options.draft === true;
  const { project, ok } = await loadCheckedProject(ctx, root, { refusal: 'nothing applied' });
  if (!ok) return 1;
  const model = project.model;
  // A draft never reads or writes state: it needs no store (nor its credentials).
  const loc = draft ? undefined : await modelStateLocation(root, model, ctx.env);
  let lock: StateLock | undefined;
  if (loc !== undefined) lock = await loc.store.acquireLock({ operation: 'apply' });
  try {
    // A draft starts from nothing in an in-memory warehouse: the real state and warehouse are untouched.
    const state = loc === undefined ? undefined : await loc.store.read();
    const observed = await observeStreamFiles(root, model, ctx.env);
    let plan: Plan;
    if (planFile !== undefined) {
      if (draft)
        throw new OutflowError('invalid-arguments', '--draft cannot apply a saved plan', {
          hint: 'run "outflow apply --draft" without a plan file',
        });
      plan = await loadSavedPlan(resolve(ctx.cwd, planFile), state, model);
    } else {
      const targets = checkAddresses('--target', options.target ?? [], model, state);
      plan = withSkippedStreamFiles(
        diff(model, state, { now, outflowVersion: OUTFLOW_VERSION, targets, observed }),
        observed,
      );
    }
    if (options.showPlan !== false) ctx.output.out(planView('text', { color: ctx.output.color }).plan(plan));
    if (plan.problems.length > 0) return 1;
    if (!hasChanges(plan)) return 0;
    if (planFile === undefined && !draft && options.autoApprove !== true && !(await confirm(ctx))) {
      ctx.output.err('Apply cancelled; nothing was changed.');
      return 1;
    }
    const startState = state ?? emptyState(now, OUTFLOW_VERSION);
    if (loc !== undefined) {
      const refreshed = await guardWarehouse(root, model, startState, loc, ctx.env);
      if (refreshed !== undefined) ctx.output.out(refreshed);
    }
    const result = await applyPlan(
      {
        root,
        model,
        plan,
        state: startState,
        backend: loc?.store,
        segments: loc?.remote === true ? segmentTarget(model) : undefined,
        now,
        version: OUTFLOW_VERSION,
        streamFiles: observed.streamFiles ?? {},
        sampleRows: draft
          ? (model.project?.config.sampleRows ?? 1000) /* no Project: the schema default */
          : undefined,
        progress: await createProgress(ctx.output),
      },
      projectApplyDeps(root, model, {
        draft,
        env: ctx.env,
        debug: ctx.debug ? (line) => ctx.output.err(line) : undefined,
      }),
    );
    const report = applyReport(
      result,
      'Apply',
      draft ? ' (draft: state untouched, files under _draft/)' : '',
    );
    if (report.out !== undefined) ctx.output.out(report.out);
    if (report.err !== undefined) ctx.output.err(report.err);
    if (ctx.debug && result.error instanceof Error && result.error.stack) ctx.output.err(result.error.stack);
    return result.error === undefined ? 0 : 1;
  } finally {
    await lock?.release();
  }
}
