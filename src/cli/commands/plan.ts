import { resolve } from 'node:path';
import { findProjectRoot } from '../../config/index.js';
import { closest, errorMessage, OutflowError } from '../../diagnostics/index.js';
import { computeImpact } from '../../impact/index.js';
import { allResources, type Model } from '../../model/index.js';
import { diff, hasChanges } from '../../plan/index.js';
import { planView, renderJson } from '../../render/index.js';
import { parseAddress, type StateDocument, writeFileAtomic } from '../../state/index.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { loadBaseline, withBase } from '../plan-base.js';
import { modelStateLocation } from '../state-location.js';
import { observeStreamFiles, withSkippedStreamFiles, withUnlistedStreamFiles } from '../stream-files.js';
import { OUTFLOW_VERSION } from '../version.js';

export { loadSavedPlan } from '../saved-plan.js';

export interface PlanOptions {
  format: 'text' | 'markdown' | 'json';
  out?: string;
  detailedExitcode?: boolean;
  target?: string[];
  exclude?: string[];
  now?: string;
  /** `--base REF`: plan the change from the config at REF (a pull request's base) to the work tree. */
  base?: string;
  /** `--no-data` sets false: skip the data impact on the warehouse. */
  data?: boolean;
  /** `--fail-on breaking`: exit 1 when the plan has breaking changes. */
  failOn?: 'breaking';
}

/**
 * `outflow plan`: what an apply would do. Exit 0 (with --detailed-exitcode: 0 nothing to do,
 * 2 changes), 1 on invalid config, a plan problem (a protected resource deleted or replaced) or,
 * with --fail-on breaking, a breaking change. With --base REF the config at REF is taken as applied.
 * Never takes the state lock and never writes state.
 */
export async function planCommand(ctx: CommandContext, options: PlanOptions): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const now = parseNow(options.now);
  const view = planView(options.format, { color: ctx.output.color });
  const { project, ok } = await loadCheckedProject(ctx, root, { secretsRequired: false, refusal: 'no plan' });
  if (!ok) {
    // Tools reading --format json get the reason on stdout too, in the error envelope's shape.
    const envelope = view.invalidConfig(project.diagnostics);
    if (envelope !== undefined) ctx.output.out(envelope);
    return 1;
  }
  const state = await readPlanState(ctx, root, project.model, options.base !== undefined);
  if (options.base !== undefined && options.out !== undefined)
    throw new OutflowError('invalid-arguments', '--out cannot be combined with --base', {
      hint: 'a --base plan is for review; save an appliable plan with "outflow plan --out FILE" (no --base)',
    });
  const baseline =
    options.base === undefined
      ? undefined
      : await loadBaseline(ctx, root, options.base, project.files, state, now);
  const reference = baseline === undefined ? state : baseline.state;
  const targets = checkAddresses('--target', options.target ?? [], project.model, reference);
  const excludes = checkAddresses('--exclude', options.exclude ?? [], project.model, reference);
  const observed = await observeStreamFiles(root, project.model, ctx.env, { lenient: true });
  let plan = withUnlistedStreamFiles(
    withSkippedStreamFiles(
      diff(project.model, reference, { now, outflowVersion: OUTFLOW_VERSION, targets, excludes, observed }),
      observed,
    ),
    observed.unlisted,
  );
  if (baseline !== undefined) plan = withBase(plan, baseline, state);
  if (options.data !== false) {
    const impact = await computeImpact({
      root,
      plan,
      model: project.model,
      baseModel: baseline?.model,
      state,
      now,
    });
    if (impact !== undefined) plan = { ...plan, impact };
  }
  ctx.output.out(view.plan(plan));
  if (options.out !== undefined) {
    const file = resolve(ctx.cwd, options.out);
    await writeFileAtomic(file, renderJson(plan));
    ctx.output.err(
      `Saved the plan to ${options.out}; apply exactly this plan with: outflow apply ${options.out}`,
    );
  }
  if (plan.problems.length > 0) return 1;
  if (options.failOn === 'breaking' && plan.summary.breaking > 0) {
    ctx.output.err(
      `✗ --fail-on breaking: ${plan.summary.breaking} breaking change${plan.summary.breaking === 1 ? '' : 's'} (listed above)`,
    );
    return 1;
  }
  if (options.detailedExitcode === true) return hasChanges(plan) ? 2 : 0;
  return 0;
}

/** `--now ISO` (with an offset), or the clock. */
export function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new OutflowError('invalid-now', `--now "${text}" is not an ISO 8601 time with an offset`, {
      hint: 'for example --now 2026-11-20T12:00:00Z',
    });
  return new Date(ms);
}

/** Addresses must be KIND/NAME of a resource in the configuration or the state. */
export function checkAddresses(
  flag: string,
  values: string[],
  model: Model,
  state: StateDocument | undefined,
): string[] {
  const known = [...allResources(model).map((n) => n.address), ...Object.keys(state?.resources ?? {})];
  for (const value of values) {
    if (parseAddress(value) === undefined)
      throw new OutflowError('invalid-address', `${flag} "${value}" is not KIND/NAME`, {
        hint: 'for example --target Export/buyers_daily',
      });
    if (!known.includes(value)) {
      const near = closest(value, known);
      throw new OutflowError(
        'unknown-address',
        `${flag} ${value}: no such resource in the configuration or state`,
        {
          hint:
            near === undefined ? 'run "outflow state list" to see what is applied' : `did you mean ${near}?`,
        },
      );
    }
  }
  return values;
}

// A PR plan (--base) needs no state: when a remote backend cannot be reached (a pull request's
// job has no secrets), it says so and plans base → head without the data history.
async function readPlanState(ctx: CommandContext, root: string, model: Model, base: boolean) {
  try {
    const { store } = await modelStateLocation(root, model, ctx.env);
    return await store.read();
  } catch (error) {
    if (
      !base ||
      model.project?.config.state?.backend === 'local' ||
      model.project?.config.state === undefined
    )
      throw error;
    ctx.output.err(`warning: state not read (${errorMessage(error)}); the plan has no data history`);
    return undefined;
  }
}
