import { type Diagnostic, errorAt } from '../diagnostics/index.js';
import type { Model } from '../model/index.js';

/**
 * Checks every column `expr` with DuckDB's own parser against an allowlist (no subqueries, no
 * table or file functions, one expression). The engine is imported only when there is an expr.
 */
export async function checkModelExpressions(model: Model): Promise<Diagnostic[]> {
  const items: { flow: string; index: number; expr: string }[] = [];
  for (const flow of model.resources.Dataflow.values()) {
    flow.config.schema.columns.forEach((c, index) => {
      if (c.expr !== undefined) items.push({ flow: flow.name, index, expr: c.expr });
    });
  }
  if (items.length === 0) return [];
  const { checkExpressions } = await import('../engine/index.js');
  const results = await checkExpressions(items.map(({ expr }) => ({ expr })));
  const out: Diagnostic[] = [];
  results.forEach((problems, i) => {
    const item = items[i]!;
    const node = model.resources.Dataflow.get(item.flow)!;
    for (const p of problems) {
      const pos = node.locate(['schema', 'columns', item.index, 'expr']);
      out.push(
        errorAt(
          pos,
          'invalid-expression',
          `expr of column "${node.config.schema.columns[item.index]!.name}": ${p.message}`,
          p.hint,
        ),
      );
    }
  });
  return out;
}
