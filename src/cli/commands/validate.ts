import { findProjectRoot } from '../../config/index.js';
import { formatDiagnosticsText, hasErrors, summarize, summaryLine } from '../../diagnostics/index.js';
import { loadProject } from '../../project/load.js';
import type { CommandContext } from '../context.js';

export interface ValidateOptions {
  format: 'text' | 'json';
}

/** `outflow validate`: exit 0 when the project is valid, 1 with every problem listed when not. */
export async function validateCommand(ctx: CommandContext, options: ValidateOptions): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const project = await loadProject(root, { env: ctx.env });
  const valid = !hasErrors(project.diagnostics);
  if (options.format === 'json') {
    ctx.output.out(
      JSON.stringify({ valid, ...summarize(project.diagnostics), diagnostics: project.diagnostics }, null, 2),
    );
  } else {
    if (project.diagnostics.length > 0)
      ctx.output.err(formatDiagnosticsText(project.diagnostics, { color: ctx.output.color }));
    const resources = Object.values(project.model.resources).reduce((n, m) => n + m.size, 0);
    const line = valid
      ? `✓ ${resources} resources in ${project.files.length} files are valid${project.diagnostics.length > 0 ? ` (${summaryLine(project.diagnostics)})` : ''}`
      : `✗ ${summaryLine(project.diagnostics)}`;
    (valid ? ctx.output.out : ctx.output.err)(line);
  }
  return valid ? 0 : 1;
}
