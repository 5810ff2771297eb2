// The engine: the only code that talks to DuckDB. Everything else imports from here.
export {
  type Engine,
  type EngineOptions,
  openEngine,
  type RunResult,
  type SqlParams,
  type SqlValue,
} from './engine.js';
export {
  checkExpression,
  checkExpressions,
  closeExpressionChecker,
  type ExpressionProblem,
  type ExpressionToCheck,
  MAX_EXPRESSION_LENGTH,
} from './expression.js';
export type { JsonValue, Row } from './json-values.js';
export { quoteIdent, quoteLiteral } from './sql/quote.js';
