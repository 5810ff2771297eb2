import { createColors } from 'picocolors';
import type { Plan, ResourceAction } from '../plan/index.js';
import {
  affectedText,
  baseNotes,
  DATA_ACTION_LABEL,
  dataActionDetail,
  fieldLines,
  filterNotes,
  INDIRECTLY_AFFECTED,
  impactRows,
  impactTitle,
  indirectlyAffected,
  NO_CHANGES,
  reviewable,
  SYMBOL,
  skippedStreamFileNotes,
  stateLine,
  summaryLine,
} from './common.js';
import { reasonText, warningText } from './reasons.js';

export interface TextOptions {
  color: boolean;
  /**
   * `since-last-good` (watch): the plan goes from the last good config, not from the state; it is
   * headed so, and says so when nothing changed. Default `state`.
   */
  from?: 'state' | 'since-last-good';
}

/** The plan for a terminal, Terraform-style: `+` create, `~` update, `-/+` replace, `-` delete. */
export function renderText(plan: Plan, options: TextOptions): string {
  return `${textLines(plan, options).join('\n')}\n`;
}

/** The lines of the text plan (no trailing newline), for views that print it as one block. */
export function textLines(plan: Plan, options: TextOptions): string[] {
  const c = createColors(options.color);
  const sinceLastGood = options.from === 'since-last-good';
  const paint: Record<ResourceAction, (s: string) => string> = {
    create: c.green,
    update: c.yellow,
    replace: c.magenta,
    delete: c.red,
    'no-op': (s) => s,
  };
  const changes = reviewable(plan);
  const nothing = changes.length === 0 && plan.dataActions.length === 0;
  if (sinceLastGood && nothing) return ['No changes since the last good config.'];
  const out: string[] = [
    sinceLastGood
      ? 'Since the last good config:'
      : c.bold(`outflow plan at ${plan.now} (${stateLine(plan)})`),
  ];
  out.push(...baseNotes(plan).map((n) => (n.startsWith('Warning') ? c.yellow(n) : c.cyan(n))));
  out.push(...filterNotes(plan).map((n) => c.cyan(n)));
  out.push(...skippedStreamFileNotes(plan).map((n) => c.yellow(n)));
  // Breaking changes first, each with why, so a reviewer cannot miss them in a long plan.
  const breaking = changes.filter((c) => c.classification === 'breaking');
  if (breaking.length > 0) {
    out.push('', c.red(c.bold(`Breaking changes (${breaking.length}):`)));
    for (const change of breaking) {
      out.push(`  ${paint[change.action](`${SYMBOL[change.action]} ${change.address}`)}`);
      for (const why of change.breaking) out.push(`      ${c.red(`! ${reasonText(why)}`)}`);
    }
  }
  if (changes.length > 0) {
    out.push('', 'Resource changes:');
    for (const change of changes) {
      const where = change.file === undefined ? '' : c.dim(`  (${change.file}:${change.line})`);
      const tag =
        change.classification === 'breaking'
          ? c.red(' [breaking]')
          : change.classification === 'metadata-only'
            ? c.dim(' [metadata only]')
            : '';
      out.push('', `  ${paint[change.action](`${SYMBOL[change.action]} ${change.address}`)}${tag}${where}`);
      out.push(`      ${c.dim(reasonText(change.reason))}`);
      for (const line of fieldLines(change)) out.push(`      ${colorField(line, c)}`);
      for (const why of change.breaking) out.push(`      ${c.red(`! breaking: ${reasonText(why)}`)}`);
    }
  }
  const affected = indirectlyAffected(plan);
  if (affected.length > 0) {
    out.push('', `${INDIRECTLY_AFFECTED}:`, '');
    const width = Math.max(...affected.map((a) => a.address.length));
    for (const a of affected) out.push(`  ${a.address.padEnd(width)}  ${c.dim(affectedText(a))}`);
  }
  if (plan.dataActions.length > 0) {
    out.push('', 'Data actions:', '');
    const width = Math.max(...plan.dataActions.map((a) => a.address.length));
    for (const action of plan.dataActions) {
      out.push(
        `  ${DATA_ACTION_LABEL[action.type].padEnd(6)} ${action.address.padEnd(width)}  ${dataActionDetail(action)}`,
      );
      out.push(`  ${' '.repeat(7 + width)}  ${c.dim(reasonText(action.reason))}`);
    }
  }
  const impact = impactRows(plan);
  if (impact.length > 0) {
    out.push('', `${impactTitle(plan)}:`, '');
    const width = Math.max(...impact.map(([a]) => a.length));
    for (const [address, what] of impact) out.push(`  ${address.padEnd(width)}  ${what}`);
  }
  if (plan.warnings !== undefined && plan.warnings.length > 0) {
    out.push('', c.yellow(c.bold('Warnings:')));
    for (const w of plan.warnings) out.push(`  ${c.yellow(`warning[${w.code}]`)}: ${warningText(w)}`);
  }
  if (plan.problems.length > 0) {
    out.push('', c.red(c.bold('Errors (this plan cannot be applied):')));
    for (const p of plan.problems) {
      out.push(`  ${c.red(`error[${p.code}]`)}: ${p.message}`);
      if (p.hint !== undefined) out.push(`    hint: ${p.hint}`);
    }
  }
  out.push('');
  out.push(c.bold(nothing ? NO_CHANGES : summaryLine(plan)));
  return out;
}

function colorField(line: string, c: ReturnType<typeof createColors>): string {
  if (line.startsWith('+')) return c.green(line);
  if (line.startsWith('-')) return c.red(line);
  return c.yellow(line);
}
