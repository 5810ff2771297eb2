import { findProjectRoot } from '../../config/index.js';
import { hasErrors } from '../../diagnostics/index.js';
import type { Model } from '../../model/index.js';
import { baselineState, diff, hasChanges, type NormalizeMemo } from '../../plan/index.js';
import { diskSource } from '../../project/load.js';
import { watchView } from '../../render/index.js';
import { type WatchCycle, watchProject } from '../../watch/index.js';
import type { CommandContext } from '../context.js';
import { modelStateLocation } from '../state-location.js';
import { listStreamFiles } from '../stream-files.js';
import { OUTFLOW_VERSION } from '../version.js';
import { applyCommand } from './apply.js';
import { parseNow } from './plan.js';

export interface WatchOptions {
  /** After each valid change, also run `apply --draft` (sampleRows rows into _draft/; state untouched). */
  draft?: boolean;
  now?: string;
}

/**
 * `outflow watch`: re-validates and re-plans on every save of outflow.yaml or flows/**, printing
 * the diagnostics or the plan since the last good config. Never applies for real. Runs until
 * SIGINT/SIGTERM (or `signal` aborts), then exits 0.
 */
export async function watchCommand(
  ctx: CommandContext,
  options: WatchOptions,
  signal?: AbortSignal,
): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  parseNow(options.now);
  const out = ctx.output;
  const view = watchView({ color: out.color });
  let lastGood: Model | undefined;
  // Normalised configs by config object: unchanged files keep their objects, so only edits re-hash.
  const memo: NormalizeMemo = new WeakMap();

  const onCycle = async ({ project, changed, loadMs }: WatchCycle): Promise<void> => {
    const t0 = performance.now();
    const now = parseNow(options.now);
    out.out(view.cycle(new Date(), changed));
    if (project.diagnostics.length > 0) out.out(view.diagnostics(project.diagnostics));
    if (hasErrors(project.diagnostics)) {
      out.out(view.invalid(project.diagnostics, lastGood !== undefined));
      return;
    }
    const state = await modelStateLocation(root, project.model, ctx.env)
      .then((loc) => loc.store.read())
      .catch(() => undefined);
    // First cycle: what apply would do. Later: the config changes since the last good config
    // (data actions depend on the data, not on the edit, so they are shown once).
    const first = lastGood === undefined;
    const reference = lastGood === undefined ? state : baselineState(lastGood, state, now, memo);
    const plan = diff(project.model, reference, {
      now,
      outflowVersion: OUTFLOW_VERSION,
      memo,
      dataActions: first,
      ...(first ? { observed: listStreamFiles(root, project.model) } : {}),
    });
    lastGood = project.model;
    out.out(view.plan(plan, first));
    out.out(view.valid(Math.round(loadMs + performance.now() - t0)));
    if (options.draft === true && (first || hasChanges(plan))) {
      out.out(view.draft());
      await draftRun(ctx, options.now);
    }
  };

  const watcher = await watchProject({
    root,
    load: { env: ctx.env, secretsRequired: false },
    readable: diskSource(root).readable,
    onCycle,
    onError: (error) => out.err(`watch: ${error instanceof Error ? error.message : String(error)}`),
  });
  out.err(view.watching(root));
  await watcher.ready;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await watcher.close();
  return 0;
}

/** `apply --draft` on sampleRows rows into _draft/ (state untouched), printing its result lines only. */
async function draftRun(ctx: CommandContext, now: string | undefined): Promise<void> {
  // The draft's own plan would repeat what was just printed: apply is told not to show it.
  await applyCommand(ctx, undefined, {
    draft: true,
    autoApprove: true,
    showPlan: false,
    ...(now === undefined ? {} : { now }),
  }).catch((error: unknown) =>
    ctx.output.err(`draft failed: ${error instanceof Error ? error.message : String(error)}`),
  );
}
