import { findProjectRoot } from '../../config/index.js';
import { buildGraph } from '../../model/index.js';
import { type GraphFormat, graphView } from '../../render/index.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';

export interface GraphOptions {
  format: GraphFormat;
}

/**
 * `outflow graph`: the resource graph the plan, `--target` and `run` use — what each resource
 * references — as text (one line per resource), Mermaid or Graphviz dot. Exit 1 on invalid config.
 */
export async function graphCommand(ctx: CommandContext, options: GraphOptions): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const view = graphView(options.format);
  const { project, ok } = await loadCheckedProject(ctx, root, {
    secretsRequired: false,
    refusal: 'no graph',
    quietWarnings: true,
  });
  if (!ok) return 1;
  ctx.output.out(view.graph(buildGraph(project.model)));
  return 0;
}
