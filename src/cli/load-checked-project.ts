import { formatDiagnosticsText, hasErrors, summaryLine } from '../diagnostics/index.js';
import { type LoadedProject, loadProject } from '../project/load.js';
import type { CommandContext } from './context.js';

export interface CheckedLoadOptions {
  /** Missing secrets are errors (default) or warnings (plan, preview). */
  secretsRequired?: boolean;
  /** What did not happen, e.g. "nothing applied": printed as `✗ nothing applied: 2 errors, …`. */
  refusal?: string;
  /** Print the diagnostics only when there are errors (default: warnings are printed too). */
  quietWarnings?: boolean;
}

/**
 * Loads the project for a command and prints its diagnostics; `ok` is false (after saying that
 * nothing happened) when the config has errors, and the command should exit 1.
 */
export async function loadCheckedProject(
  ctx: CommandContext,
  root: string,
  options: CheckedLoadOptions = {},
): Promise<{ project: LoadedProject; ok: boolean }> {
  const project = await loadProject(root, {
    env: ctx.env,
    ...(options.secretsRequired === undefined ? {} : { secretsRequired: options.secretsRequired }),
  });
  const ok = !hasErrors(project.diagnostics);
  if (project.diagnostics.length > 0 && !(ok && options.quietWarnings === true)) {
    ctx.output.err(formatDiagnosticsText(project.diagnostics, { color: ctx.output.color }));
  }
  if (!ok) {
    const summary = summaryLine(project.diagnostics);
    ctx.output.err(`✗ ${options.refusal === undefined ? summary : `${options.refusal}: ${summary}`}`);
  }
  return { project, ok };
}
