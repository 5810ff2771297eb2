import pc from 'picocolors';
import type { Diagnostic } from './diagnostic.js';

export interface FormatOptions {
  color: boolean;
}

/** Human-readable diagnostics, each with `file:line:column`, the quoted line and a hint. */
export function formatDiagnosticsText(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const c = pc.createColors(options.color);
  const lines: string[] = [];
  for (const d of diagnostics) {
    const where =
      d.file === undefined ? '' : `${d.file}${d.line === undefined ? '' : `:${d.line}:${d.column ?? 1}`} `;
    const sev = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
    lines.push(`${c.bold(where)}${sev}${c.dim(`[${d.code}]`)}: ${d.message}`);
    if (d.source !== undefined && d.line !== undefined) {
      const gutter = String(d.line);
      lines.push(c.dim(`  ${gutter} | `) + d.source);
      const caretPad = ' '.repeat(Math.max(0, (d.column ?? 1) - 1));
      lines.push(`${c.dim(`  ${' '.repeat(gutter.length)} | `)}${caretPad}${c.red('^')}`);
    }
    if (d.hint !== undefined) lines.push(`  ${c.cyan('hint')}: ${d.hint}`);
  }
  return lines.join('\n');
}

export function summarize(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const { errors, warnings } = summarize(diagnostics);
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
