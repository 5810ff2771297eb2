import { type Diagnostic, errorAt } from '../diagnostics/index.js';
import type { ExpressionProblem } from '../engine/index.js';
import type { Model } from '../model/index.js';
import { openExpressionCache } from './expression-cache.js';

/**
 * Checks every column `expr` with DuckDB's own parser against an allowlist (no subqueries, no
 * table or file functions, one expression). The engine is imported only when there is an expr
 * that did not pass the same checker before (see expression-cache.ts; `cacheDir` undefined:
 * no cache).
 */
export async function checkModelExpressions(model: Model, cacheDir?: string): Promise<Diagnostic[]> {
  const items: { flow: string; index: number; expr: string }[] = [];
  for (const flow of model.resources.Dataflow.values()) {
    flow.config.schema.columns.forEach((c, index) => {
      if (c.expr !== undefined) items.push({ flow: flow.name, index, expr: c.expr });
    });
  }
  if (items.length === 0) return [];
  const cache = openExpressionCache(cacheDir);
  // The same text is checked once; the columns are not given (an expr may use any source column).
  const unknown = [...new Set(items.map((i) => i.expr))].filter((expr) => !cache.passed(expr, undefined));
  const problemsOf = new Map<string, ExpressionProblem[]>();
  if (unknown.length > 0) {
    const { checkExpressions } = await import('../engine/index.js');
    const results = await checkExpressions(unknown.map((expr) => ({ expr })));
    unknown.forEach((expr, i) => {
      const problems = results[i] ?? [];
      problemsOf.set(expr, problems);
      if (problems.length === 0) cache.remember(expr, undefined);
    });
    cache.save();
  }
  const out: Diagnostic[] = [];
  items.forEach((item) => {
    const problems = problemsOf.get(item.expr) ?? [];
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
