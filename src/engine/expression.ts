import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';
import { type AstFinding, checkExpressionAst } from './expression-ast.js';
import { explainDisallowedFunction, type FunctionFacts } from './expression-functions.js';
import { type ExpressionProblem, offsetInExpression, problemAt } from './expression-problem.js';
import { scanExpressionText, severalStatements } from './expression-scan.js';

export type { ExpressionProblem } from './expression-problem.js';

export interface ExpressionToCheck {
  expr: string;
  /** The source columns the expression may use; omit when they are not known yet. */
  columns?: readonly string[] | undefined;
}

/** Longer than any sensible column expression; keeps parser work and error text bounded. */
export const MAX_EXPRESSION_LENGTH = 10_000;

const PREFIX = 'SELECT ';
const WRAPPED_PREFIX = 'SELECT (';
const PARSE_HINT =
  "write a DuckDB SQL expression over the source columns, for example first_name || ' ' || last_name";

/**
 * Checks one `expr` (see checkExpressions); [] means it is safe to splice into SQL as
 * `(${expr})`.
 */
export async function checkExpression(
  expr: string,
  columns?: readonly string[],
): Promise<ExpressionProblem[]> {
  const [problems] = await checkExpressions([{ expr, columns }]);
  return problems ?? [];
}

/**
 * Checks each `expr` with DuckDB's own parser against an allowlist: one expression, no
 * subqueries, clauses, table or file functions, aggregates, windows, parameters or
 * comments; only the given columns and row-level deterministic functions. Returns the
 * problems for each item, in order. When an item has none, `(${expr})` parses to exactly the
 * checked expression wherever it is spliced: that is the guarantee the SQL builders rely on.
 * One shared in-memory DuckDB (no file access) does the parsing; it opens on first use.
 */
export async function checkExpressions(items: readonly ExpressionToCheck[]): Promise<ExpressionProblem[][]> {
  const results = items.map((item) => checkText(item.expr));
  if (results.every((problems) => problems.length > 0)) return results;
  const parser = await sharedParser();
  for (const [index, item] of items.entries()) {
    if (results[index]?.length === 0) results[index] = await parser.check(item);
  }
  return results;
}

/** Closes the shared parser database (it reopens on next use). For tests and clean exits. */
export async function closeExpressionChecker(): Promise<void> {
  const pending = parserPromise;
  parserPromise = undefined;
  if (pending !== undefined) (await pending.catch(() => undefined))?.close();
}

function checkText(expr: string): ExpressionProblem[] {
  if (expr.trim() === '') return [problemAt('expression is empty', PARSE_HINT, undefined)];
  if (expr.length > MAX_EXPRESSION_LENGTH) {
    return [
      problemAt(
        `expression is too long (${expr.length} characters; the limit is ${MAX_EXPRESSION_LENGTH})`,
        'split the logic into several columns',
        undefined,
      ),
    ];
  }
  const nul = expr.indexOf('\0');
  if (nul !== -1)
    return [problemAt('expressions cannot contain NUL characters', 'remove the \\0 character', nul)];
  return scanExpressionText(expr);
}

let parserPromise: Promise<ExpressionParser> | undefined;

function sharedParser(): Promise<ExpressionParser> {
  if (parserPromise === undefined) {
    parserPromise = ExpressionParser.open();
    parserPromise.catch(() => {
      parserPromise = undefined;
    });
  }
  return parserPromise;
}

class ExpressionParser {
  private functionFacts: Promise<Map<string, FunctionFacts>> | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<ExpressionParser> {
    // Parsing needs no files: external access is off from the start, and nothing is loaded.
    const instance = await duckdb.DuckDBInstance.create(':memory:', {
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      lock_configuration: 'true',
      threads: '1',
    });
    return new ExpressionParser(instance, await instance.connect());
  }

  async check(item: ExpressionToCheck): Promise<ExpressionProblem[]> {
    const { expr } = item;
    // The text is bound as a parameter; it is only ever parsed, never executed.
    let plain: Record<string, unknown>;
    let wrapped: Record<string, unknown>;
    try {
      const reader = await this.connection.runAndReadAll(
        'SELECT json_serialize_sql($1::VARCHAR) AS plain, json_serialize_sql($2::VARCHAR) AS wrapped',
        [PREFIX + expr, `${WRAPPED_PREFIX}${expr})`],
      );
      const row = reader.getRowObjects()[0];
      plain = JSON.parse(String(row?.plain)) as Record<string, unknown>;
      wrapped = JSON.parse(String(row?.wrapped)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return [problemAt(`cannot parse expression: ${message}`, PARSE_HINT, undefined)];
    }
    if (plain.error === true) return [parseProblem(expr, plain)];

    const findings = checkExpressionAst(plain, expr, item.columns);
    if (findings.length > 0) return this.explain(findings);

    // The guarantee: inside parentheses the text must parse to the very same expression, so
    // nothing in it (a trailing -- comment, say) can swallow or rebind the SQL around it.
    if (wrapped.error === true || selectListShape(wrapped) !== selectListShape(plain)) {
      return [
        problemAt(
          'expression is not self-contained: it means something else inside parentheses',
          'remove any trailing comma or comment, and close every quote and parenthesis',
          undefined,
        ),
      ];
    }
    return [];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async explain(findings: AstFinding[]): Promise<ExpressionProblem[]> {
    const needsFacts = findings.some((f) => 'disallowedFunction' in f);
    const facts = needsFacts ? await this.loadFunctionFacts() : new Map<string, FunctionFacts>();
    return findings.map((finding) => {
      if (!('disallowedFunction' in finding)) return finding;
      const { message, hint } = explainDisallowedFunction(
        finding.disallowedFunction,
        facts.get(finding.disallowedFunction),
      );
      return problemAt(message, hint, finding.offset);
    });
  }

  private loadFunctionFacts(): Promise<Map<string, FunctionFacts>> {
    this.functionFacts ??= this.connection
      .runAndReadAll(
        `SELECT function_name AS name, list(DISTINCT function_type) AS types,
           bool_or(coalesce(stability, '') IN ('VOLATILE', 'CONSISTENT_WITHIN_QUERY')) AS unstable
         FROM duckdb_functions() GROUP BY function_name`,
      )
      .then((reader) => {
        const facts = new Map<string, FunctionFacts>();
        for (const row of reader.getRowObjectsJS()) {
          const types = new Set((row.types as (string | null)[]).filter((t) => t !== null));
          facts.set(String(row.name), { types, unstable: row.unstable === true });
        }
        return facts;
      })
      // The catalogue only sharpens messages; without it every call is still rejected.
      .catch(() => new Map<string, FunctionFacts>());
    return this.functionFacts;
  }
}

function parseProblem(expr: string, parsed: Record<string, unknown>): ExpressionProblem {
  const message = String(parsed.error_message ?? 'unknown error');
  // json_serialize_sql refuses non-SELECT statements, which only a ';' can introduce here.
  if (message.includes('Only SELECT statements')) return severalStatements();
  const offset = offsetInExpression(expr, parsed.position, PREFIX.length);
  return problemAt(`cannot parse expression: ${message}`, PARSE_HINT, offset);
}

/** The select list without source positions (which differ by the wrapping parenthesis). */
function selectListShape(parsed: Record<string, unknown>): string {
  const statements = parsed.statements as { node?: { select_list?: unknown } }[] | undefined;
  if (statements?.length !== 1) return `${statements?.length ?? 0} statements`;
  return JSON.stringify(statements[0]?.node?.select_list ?? null, (key, value) =>
    key === 'query_location' ? undefined : value,
  );
}
