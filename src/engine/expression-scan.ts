import { type ExpressionProblem, problemAt } from './expression-problem.js';

/**
 * Finds statement separators and comments outside string literals and quoted identifiers,
 * following DuckDB's (PostgreSQL's) lexer: '...' with '' escapes, E'...' with backslash
 * escapes, "..." identifiers, $tag$...$tag$ strings, -- and nested /* comments.
 *
 * This gives precise messages; it is not the safety gate. If it ever misreads a string, the
 * parser still sees the real text: a second statement or a trailing -- comment that would
 * swallow what follows the expression is caught again by parsing the expression inside
 * parentheses (see expression.ts).
 */
export function scanExpressionText(expr: string): ExpressionProblem[] {
  const problems: ExpressionProblem[] = [];
  let sawComment = false;
  let sawSemicolon = false;
  let i = 0;
  while (i < expr.length) {
    const char = expr[i]!;
    const next = expr[i + 1];
    if (char === "'") {
      i = skipQuoted(expr, i, "'", isEscapeStringPrefix(expr, i));
    } else if (char === '"') {
      i = skipQuoted(expr, i, '"', false);
    } else if (char === '$' && !isIdentifierChar(expr[i - 1])) {
      i = skipDollarQuoted(expr, i);
    } else if ((char === '-' && next === '-') || (char === '/' && next === '*')) {
      if (!sawComment) {
        problems.push(
          problemAt(
            'expressions cannot contain comments',
            'remove the comment; explain the expression in the YAML (a # comment or `description`) instead',
            i,
          ),
        );
      }
      sawComment = true;
      i += 2;
    } else if (char === ';') {
      if (!sawSemicolon) problems.push(severalStatements(i));
      sawSemicolon = true;
      i += 1;
    } else {
      i += 1;
    }
  }
  return problems;
}

export function severalStatements(offset?: number): ExpressionProblem {
  return problemAt(
    'expressions must be a single expression, not several statements',
    'remove the ";" and everything after it',
    offset,
  );
}

/** Index just past the closing quote (or the end of the text when unterminated). */
function skipQuoted(expr: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < expr.length) {
    const char = expr[i];
    if (backslashEscapes && char === '\\') {
      i += 2;
    } else if (char === quote) {
      if (expr[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return expr.length;
}

function skipDollarQuoted(expr: string, start: number): number {
  const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(expr.slice(start))?.[0];
  if (tag === undefined) return start + 1; // a parameter such as $1
  const end = expr.indexOf(tag, start + tag.length);
  return end === -1 ? expr.length : end + tag.length;
}

/** E'...' (or e'...') where the E is not the end of a longer identifier. */
function isEscapeStringPrefix(expr: string, quoteIndex: number): boolean {
  const before = expr[quoteIndex - 1];
  return (before === 'e' || before === 'E') && !isIdentifierChar(expr[quoteIndex - 2]);
}

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(char);
}
