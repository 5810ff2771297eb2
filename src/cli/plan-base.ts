import type { SourceFile } from '../config/index.js';
import { formatDiagnosticsText, hasErrors, summaryLine } from '../diagnostics/index.js';
import { readBaseConfig } from '../git/index.js';
import { allResources, type Model } from '../model/index.js';
import { baselineState, type Plan, type PlanBase, type ResourceChange } from '../plan/index.js';
import { diskSource, loadProjectFrom, memorySource } from '../project/load.js';
import type { StateDocument } from '../state/index.js';
import type { CommandContext } from './context.js';

export interface Baseline {
  /** What the plan diffs against: the base config taken as applied, with the real state's data history. */
  state: StateDocument | undefined;
  base: PlanBase;
  /** The base model, when it loaded without errors. */
  model?: Model;
}

/**
 * `plan --base REF`: loads the config at REF (merge base with HEAD) from git. When it has errors
 * they are printed as a warning and the plan falls back to the head config against the state.
 */
export async function loadBaseline(
  ctx: CommandContext,
  root: string,
  ref: string,
  headFiles: readonly SourceFile[],
  state: StateDocument | undefined,
  now: Date,
): Promise<Baseline> {
  const config = await readBaseConfig(root, ref);
  const changedFiles = changedConfigFiles(config.files, headFiles);
  const base: PlanBase = { ref, commit: config.commit, changedFiles };
  const loaded = await loadProjectFrom(root, memorySource(config.files, diskSource(root).readable), {
    env: ctx.env,
    secretsRequired: false,
    checkExpressions: false,
  });
  if (hasErrors(loaded.diagnostics)) {
    const warning = `base config has errors; plan shows head only (${summaryLine(loaded.diagnostics)} at ${ref})`;
    ctx.output.err(
      `warning: ${warning}\n${formatDiagnosticsText(loaded.diagnostics, { color: ctx.output.color })}`,
    );
    return { state, base: { ...base, warning } };
  }
  return { state: baselineState(loaded.model, state, now), base, model: loaded.model };
}

/** Config files whose text differs between the base and the work tree (added, changed or removed). */
export function changedConfigFiles(base: ReadonlyMap<string, Buffer>, head: readonly SourceFile[]): string[] {
  const headText = new Map(head.map((f) => [f.path, f.text]));
  const changed = new Set<string>();
  for (const [path, bytes] of base) {
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    if (headText.get(path) !== text) changed.add(path);
  }
  for (const path of headText.keys()) if (!base.has(path)) changed.add(path);
  return [...changed].sort();
}

/**
 * The plan as `plan --base` shows it: the real state's lineage and serial (none without state),
 * creates and deletes told relative to the base (`not-in-base`, `removed-since-base`), deletions
 * located in the base files, and the resources of changed files first.
 */
export function withBase(plan: Plan, baseline: Baseline, state: StateDocument | undefined): Plan {
  const located = new Map(
    baseline.model === undefined
      ? []
      : allResources(baseline.model).map((n) => [n.address, { file: n.file, line: n.locate(['kind']).line }]),
  );
  const changed = new Set(baseline.base.changedFiles);
  const ref = baseline.base.ref;
  const locate = (c: ResourceChange): ResourceChange => {
    if (baseline.model === undefined) return c;
    if (c.action === 'create') return { ...c, reason: { code: 'not-in-base', ref } };
    if (c.action === 'delete')
      return { ...c, reason: { code: 'removed-since-base', ref }, ...located.get(c.address) };
    return c;
  };
  const rank = (c: ResourceChange) => (c.file !== undefined && changed.has(c.file) ? 0 : 1);
  const resourceChanges = plan.resourceChanges.map(locate);
  // Array.prototype.sort is stable: within each group the kind-then-name order stays.
  resourceChanges.sort((a, b) => rank(a) - rank(b));
  return {
    ...plan,
    state: { lineage: state?.lineage ?? null, serial: state?.serial ?? 0 },
    base: baseline.base,
    resourceChanges,
  };
}
