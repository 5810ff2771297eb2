import { findProjectRoot } from '../../config/index.js';
import { formatDiagnosticsText, hasErrors, summaryLine } from '../../diagnostics/index.js';
import type { Model } from '../../model/index.js';
import { baselineState, diff, hasChanges, type NormalizeMemo } from '../../plan/index.js';
import { diskSource } from '../../project/load.js';
import { renderText } from '../../render/index.js';
import { type WatchCycle, watchProject } from '../../watch/index.js';
import type { CommandContext } from '../context.js';
import { stateLocation } from '../state-location.js';
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
  let lastGood: Model | undefined;
  // Normalised configs by config object: unchanged files keep their objects, so only edits re-hash.
  const memo: NormalizeMemo = new WeakMap();

  const onCycle = async ({ project, changed, loadMs }: WatchCycle): Promise<void> => {
    const t0 = performance.now();
    const now = parseNow(options.now);
    const what = changed.length === 0 ? 'initial plan' : `${changed.join(', ')} changed`;
    out.out(`\n── ${clock()} ${what} ──`);
    if (project.diagnostics.length > 0)
      out.out(formatDiagnosticsText(project.diagnostics, { color: out.color }).replace(/\n$/, ''));
    if (hasErrors(project.diagnostics)) {
      const kept = lastGood === undefined ? '' : ' (the last good config is kept)';
      out.out(`✗ invalid: ${summaryLine(project.diagnostics)}; fix and save again${kept}`);
      return;
    }
    const { backend } = stateLocation(root, project.model.project?.config);
    const state = await backend.read().catch(() => undefined);
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
    const body = renderText(plan, { color: out.color }).replace(/\n$/, '');
    if (!first && !hasChanges(plan)) out.out('No changes since the last good config.');
    else out.out(first ? body : body.replace(/^[^\n]*\n/, 'Since the last good config:\n'));
    const ms = Math.round(loadMs + performance.now() - t0);
    out.out(`✓ valid: re-planned in ${ms} ms`);
    if (options.draft === true && (first || hasChanges(plan))) await draftRun(ctx, options.now);
  };

  const watcher = await watchProject({
    root,
    load: { env: ctx.env, secretsRequired: false },
    readable: diskSource(root).readable,
    onCycle,
    onError: (error) => out.err(`watch: ${error instanceof Error ? error.message : String(error)}`),
  });
  out.err(`Watching ${root}/outflow.yaml and flows/** (Ctrl-C to stop); never applies for real.`);
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
  const out = ctx.output;
  out.out('Draft run (sampleRows rows into _draft/; state untouched):');
  // The draft's own plan repeats what was just printed: keep only its per-item lines and summary.
  const quiet = {
    ...out,
    out: (text: string) => (text.startsWith('outflow plan at') ? undefined : out.out(text)),
  };
  await applyCommand({ ...ctx, output: quiet }, undefined, {
    draft: true,
    autoApprove: true,
    ...(now === undefined ? {} : { now }),
  }).catch((error: unknown) =>
    out.err(`draft failed: ${error instanceof Error ? error.message : String(error)}`),
  );
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
