/** One reason an `expr` is rejected, in words a config author can act on. */
export interface ExpressionProblem {
  message: string;
  hint: string;
  /** Character (UTF-16) offset into the expression text, when DuckDB reports a position. */
  offset?: number;
}

/**
 * Converts a DuckDB position (a UTF-8 byte offset into the parsed SQL, which is the
 * expression behind an ASCII prefix) to a character offset into the expression.
 * DuckDB reports "no position" as 2^64 - 1, which comes back through JSON as a huge number.
 */
export function offsetInExpression(
  expr: string,
  sqlByteOffset: unknown,
  prefixBytes: number,
): number | undefined {
  const position = typeof sqlByteOffset === 'string' ? Number(sqlByteOffset) : sqlByteOffset;
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < prefixBytes)
    return undefined;
  let bytes = position - prefixBytes;
  let offset = 0;
  for (const char of expr) {
    if (bytes <= 0) break;
    bytes -= Buffer.byteLength(char, 'utf8');
    offset += char.length;
  }
  return offset;
}

/** `problem` with `offset` set only when known (keeps objects tidy under exactOptionalPropertyTypes). */
export function problemAt(message: string, hint: string, offset: number | undefined): ExpressionProblem {
  return offset === undefined ? { message, hint } : { message, hint, offset };
}
