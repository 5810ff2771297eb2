/** A problem found in the user's config, reported with its source position. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable code, e.g. `unknown-reference`. */
  code: string;
  /** What is wrong. */
  message: string;
  /** Project-relative file, when the problem has a place. */
  file?: string;
  line?: number;
  column?: number;
  /** The config path of the offending value, e.g. `schema.columns[2].type`. */
  path?: string;
  /** How to fix it. */
  hint?: string;
  /** The offending source line, quoted; omitted when the line holds a secret. */
  source?: string;
}

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
  source?: string;
}

export function errorAt(
  pos: SourcePosition | undefined,
  code: string,
  message: string,
  hint?: string,
): Diagnostic {
  return { severity: 'error', code, message, ...pos, ...(hint === undefined ? {} : { hint }) };
}

export function warningAt(
  pos: SourcePosition | undefined,
  code: string,
  message: string,
  hint?: string,
): Diagnostic {
  return { severity: 'warning', code, message, ...pos, ...(hint === undefined ? {} : { hint }) };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sorts by file, line, column so output is stable whatever order rules ran in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
