import { closestName } from './closest-name.js';
import { ALLOWED_FUNCTIONS, SPECIAL_VALUE_NAMES, words } from './expression-functions.js';
import { type ExpressionProblem, offsetInExpression, problemAt } from './expression-problem.js';
import { severalStatements } from './expression-scan.js';

/** A rejected function call; explained later, with DuckDB's catalogue at hand. */
export interface DisallowedFunction {
  disallowedFunction: string;
  offset?: number;
}
export type AstFinding = ExpressionProblem | DisallowedFunction;

type Node = Record<string, unknown>;

const SELECT_PREFIX_BYTES = 'SELECT '.length;
const ROW_HINT = 'an expression computes a value from the columns of one source row';
const SYNTAX_HINT = 'use column names, literals, operators and allowed functions';

const SELECT_NODE_KEYS = words(`
  type modifiers cte_map select_list from_table where_clause group_expressions group_sets
  aggregate_handling having sample qualify
`);
const COMMON_KEYS = ['class', 'type', 'alias', 'query_location'];
/** The expression classes an `expr` may contain, with the fields each may carry. */
const ALLOWED_CLASS_KEYS: Record<string, readonly string[]> = {
  COLUMN_REF: ['column_names'],
  CONSTANT: ['value'],
  FUNCTION: [
    ...words('function_name schema catalog children filter order_bys distinct is_operator export_state'),
  ],
  OPERATOR: ['children'],
  COMPARISON: ['left', 'right'],
  CONJUNCTION: ['children'],
  CASE: ['case_checks', 'else_expr'],
  CAST: ['child', 'cast_type', 'try_cast'],
  BETWEEN: ['input', 'lower', 'upper'],
  COLLATE: ['child', 'collation'],
};
const ALLOWED_OPERATORS = words(`
  COMPARE_IN COMPARE_NOT_IN OPERATOR_IS_NULL OPERATOR_IS_NOT_NULL OPERATOR_NOT OPERATOR_COALESCE
  OPERATOR_TRY ARRAY_EXTRACT ARRAY_SLICE STRUCT_EXTRACT ARRAY_CONSTRUCTOR
`);
const CLAUSES: [key: string, name: string][] = [
  ['where_clause', 'WHERE'],
  ['having', 'HAVING'],
  ['qualify', 'QUALIFY'],
  ['sample', 'USING SAMPLE'],
];

/**
 * Checks the output of `json_serialize_sql('SELECT ' || expr)` against an allowlist: one
 * statement holding a bare SELECT of exactly one expression built only from the classes in
 * ALLOWED_CLASS_KEYS, single-name references to `columns` (any single name when `columns` is
 * undefined: not known yet), and ALLOWED_FUNCTIONS. Anything the
 * walker does not recognise, including fields a future DuckDB adds, is rejected.
 */
export function checkExpressionAst(
  parsed: Node,
  expr: string,
  columns: readonly string[] | undefined,
): AstFinding[] {
  const findings: AstFinding[] = [];
  const at = (node: Node) => offsetInExpression(expr, node.query_location, SELECT_PREFIX_BYTES);
  const problem = (message: string, hint: string, node?: Node): void => {
    findings.push(problemAt(message, hint, node === undefined ? undefined : at(node)));
  };
  const disallowed = (name: string, node: Node): void => {
    const offset = at(node);
    findings.push(offset === undefined ? { disallowedFunction: name } : { disallowedFunction: name, offset });
  };
  const unsupported = (what: string, node?: Node): void =>
    problem(`unsupported syntax in expression: ${what}`, SYNTAX_HINT, node);

  const statements = asArray(parsed.statements);
  if (statements.length !== 1) return [severalStatements()];
  const statement = asNode(statements[0]);
  const select = asNode(statement.node);
  // named_param_map lists $name parameters, which the walker rejects as PARAMETER nodes.
  if (Object.keys(statement).some((k) => k !== 'node' && k !== 'named_param_map' && !isEmpty(statement[k]))) {
    unsupported('statement options');
  }
  if (select.type !== 'SELECT_NODE') {
    const setOperation = select.type === 'SET_OPERATION_NODE';
    problem(
      setOperation
        ? 'expressions cannot contain UNION, EXCEPT or INTERSECT'
        : 'expressions must be a single expression, not a query',
      'write one expression over the source columns, for example lower(email)',
    );
    return findings;
  }

  // DuckDB binds column names case-insensitively, quoted or not; so do we.
  const knownColumns = columns === undefined ? undefined : new Set(columns.map((c) => c.toLowerCase()));

  const checkColumn = (node: Node): void => {
    const names = asArray(node.column_names).map(String);
    const name = names.length === 1 ? names[0]! : undefined;
    const lower = name?.toLowerCase();
    if (name === undefined || lower === undefined) {
      const dotted = names.join('.');
      problem(
        `column references must be a single name, not "${dotted}"`,
        `write a column whose name contains a dot in double quotes, like "${dotted}"; table and struct field references are not allowed`,
        node,
      );
    } else if (knownColumns?.has(lower) !== true) {
      if (SPECIAL_VALUE_NAMES.has(lower)) disallowed(lower, node);
      else if (columns !== undefined)
        problem(`unknown column "${name}"`, unknownColumnHint(name, columns), node);
    }
  };

  const checkFunction = (node: Node): void => {
    const name = String(node.function_name).toLowerCase();
    const aggregateHint = 'aggregate functions are not allowed in expressions';
    if (node.filter !== null && node.filter !== undefined) {
      problem('expressions cannot use FILTER (...)', aggregateHint, node);
    }
    if (!isEmpty(asNode(node.order_bys).orders)) {
      problem('expressions cannot use ORDER BY inside a function call', aggregateHint, node);
    }
    if (node.distinct === true) problem('expressions cannot use DISTINCT', ROW_HINT, node);
    if (node.export_state === true) unsupported('EXPORT_STATE', node);
    if ((node.catalog ?? '') !== '' || !['', 'main'].includes(String(node.schema ?? ''))) {
      const qualified = [node.catalog, node.schema, name].filter((p) => typeof p === 'string' && p !== '');
      problem(
        `functions cannot be qualified or chained ("${qualified.join('.')}(...)")`,
        `call the function by its plain name, for example ${name}(column)`,
        node,
      );
    } else if (!ALLOWED_FUNCTIONS.has(name)) {
      disallowed(name, node);
    }
  };

  const visit = (value: unknown): void => {
    const node = asNode(value);
    const cls = String(node.class);
    if (typeof node.alias === 'string' && node.alias !== '') {
      problem(
        `expressions cannot contain aliases or named arguments ("${node.alias}")`,
        "remove the alias; the column's name comes from `name` in the schema",
        node,
      );
    }
    const allowedKeys = ALLOWED_CLASS_KEYS[cls];
    const extra = Object.keys(node).find(
      (k) => !COMMON_KEYS.includes(k) && !allowedKeys?.includes(k) && !isEmpty(node[k]),
    );
    if (allowedKeys === undefined) {
      const [message, hint] = rejectedClass(node, cls);
      problem(message, hint, node);
    } else if (extra !== undefined) {
      unsupported(`${cls.toLowerCase()} with ${extra}`, node);
    } else if (cls === 'OPERATOR' && !ALLOWED_OPERATORS.has(String(node.type))) {
      const name = String(node.type).replace(/^OPERATOR_|_FUNCTION$/g, '');
      problem(`expressions cannot use ${name}`, 'use operators, CASE, CAST and allowed functions', node);
    } else {
      if (cls === 'COLUMN_REF') checkColumn(node);
      if (cls === 'FUNCTION') checkFunction(node);
      for (const child of childExpressions(node, cls)) visit(child);
    }
  };

  checkSelectShape(select, problem, unsupported);
  const selectList = asArray(select.select_list);
  if (selectList.length !== 1) {
    problem(
      `an expression must compute exactly one value, not ${selectList.length}`,
      'combine values with || or concat(...) instead of commas',
    );
  }
  selectList.forEach(visit);
  return findings;
}

/** The sub-expressions of an allowed node, by class. */
function childExpressions(node: Node, cls: string): unknown[] {
  switch (cls) {
    case 'FUNCTION':
    case 'OPERATOR':
    case 'CONJUNCTION':
      return asArray(node.children);
    case 'COMPARISON':
      return [node.left, node.right];
    case 'CASE': {
      const checks = asArray(node.case_checks).map(asNode);
      // DuckDB writes a missing ELSE as a NULL constant; accept a bare null too.
      const otherwise = node.else_expr === null ? [] : [node.else_expr];
      return [...checks.flatMap((check) => [check.when_expr, check.then_expr]), ...otherwise];
    }
    case 'CAST':
    case 'COLLATE':
      return [node.child];
    case 'BETWEEN':
      return [node.input, node.lower, node.upper];
    default:
      return [];
  }
}

/** Message and hint for an expression class that is never allowed. */
function rejectedClass(node: Node, cls: string): [message: string, hint: string] {
  switch (cls) {
    case 'SUBQUERY':
      return [
        'expressions cannot contain subqueries',
        node.subquery_type === 'ANY' ? "to test against fixed values use IN ('a', 'b')" : ROW_HINT,
      ];
    case 'WINDOW':
      return [
        `expressions cannot call ${String(node.function_name)}: window functions are not allowed`,
        ROW_HINT,
      ];
    case 'STAR':
      return ['expressions cannot use * or COLUMNS(...)', 'name the columns you need'];
    case 'PARAMETER':
      return ['expressions cannot contain parameters ($1 or ?)', 'write the value as a literal'];
    case 'POSITIONAL_REFERENCE':
      return ['expressions cannot use positional references (#1)', 'refer to columns by name'];
    case 'LAMBDA':
      return [
        'expressions cannot contain lambdas (x -> ...)',
        "to read JSON use json_extract_string(column, '$.field') or column ->> '$.field'",
      ];
    default:
      return [`unsupported syntax in expression: ${cls.toLowerCase()}`, SYNTAX_HINT];
  }
}

function unknownColumnHint(name: string, columns: readonly string[]): string {
  const suggestion = closestName(name, columns);
  if (suggestion !== undefined) return `did you mean "${suggestion}"?`;
  if (columns.length === 0) return 'the source has no columns';
  const shown = columns.slice(0, 20).join(', ');
  return `the source columns are: ${columns.length > 20 ? `${shown}, … (${columns.length} in all)` : shown}`;
}

function checkSelectShape(
  select: Node,
  problem: (message: string, hint: string) => void,
  unsupported: (what: string) => void,
): void {
  const hint = 'write one expression over the source columns, for example lower(email)';
  const from = asNode(select.from_table ?? {});
  if (from.type === 'TABLE_FUNCTION') {
    const name = String(asNode(from.function ?? {}).function_name ?? 'a table function');
    problem(`expressions cannot call ${name}: file and table functions are not allowed`, hint);
  } else if (from.type !== 'EMPTY') {
    problem('expressions cannot have a FROM clause', hint);
  }
  for (const [key, name] of CLAUSES) {
    if (!isEmpty(select[key])) problem(`expressions cannot have a ${name} clause`, hint);
  }
  if (!isEmpty(select.group_expressions) || !isEmpty(select.group_sets)) {
    problem('expressions cannot have a GROUP BY clause', hint);
  }
  if (select.aggregate_handling !== 'STANDARD_HANDLING') unsupported(String(select.aggregate_handling));
  if (!isEmpty(asNode(select.cte_map ?? {}).map)) problem('expressions cannot have a WITH clause', hint);
  for (const modifier of asArray(select.modifiers).map(asNode)) {
    const name = String(modifier.type)
      .replace(/_MODIFIER$/, '')
      .replace('_', ' ');
    problem(`expressions cannot use ${name === 'ORDER' ? 'ORDER BY' : name}`, hint);
  }
  const extra = Object.keys(select).find((k) => !SELECT_NODE_KEYS.has(k) && !isEmpty(select[k]));
  if (extra !== undefined) unsupported(extra);
}

function asNode(value: unknown): Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** null, undefined, false, '', [] and {} (all of whose fields are empty) count as absent. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isEmpty);
  return false;
}
