import { createColors } from 'picocolors';
import type { Plan, ResourceAction } from '../plan/index.js';
import {
  baseNotes,
  DATA_ACTION_LABEL,
  dataActionDetail,
  fieldLines,
  filterNotes,
  impactRows,
  impactTitle,
  NO_CHANGES,
  reviewable,
  SYMBOL,
  skippedStreamFileNotes,
  stateLine,
  summaryLine,
} from './common.js';

export interface TextOptions {
  color: boolean;
}

/** The plan for a terminal, Terraform-style: `+` create, `~` update, `-/+` replace, `-` delete. */
export function renderText(plan: Plan, options: TextOptions): string {
  const c = createColors(options.color);
  const paint: Record<ResourceAction, (s: string) => string> = {
    create: c.green,
    update: c.yellow,
    replace: c.magenta,
    delete: c.red,
    'no-op': (s) => s,
  };
  const out: string[] = [c.bold(`outflow plan at ${plan.now} (${stateLine(plan)})`)];
  out.push(...baseNotes(plan).map((n) => (n.startsWith('Warning') ? c.yellow(n) : c.cyan(n))));
  out.push(...filterNotes(plan).map((n) => c.cyan(n)));
  out.push(...skippedStreamFileNotes(plan).map((n) => c.yellow(n)));
  const changes = reviewable(plan);
  // Breaking changes first, each with why, so a reviewer cannot miss them in a long plan.
  const breaking = changes.filter((c) => c.classification === 'breaking');
  if (breaking.length > 0) {
    out.push('', c.red(c.bold(`Breaking changes (${breaking.length}):`)));
    for (const change of breaking) {
      out.push(`  ${paint[change.action](`${SYMBOL[change.action]} ${change.address}`)}`);
      for (const why of change.breaking) out.push(`      ${c.red(`! ${why}`)}`);
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
      out.push(`      ${c.dim(change.reason)}`);
      for (const line of fieldLines(change)) out.push(`      ${colorField(line, c)}`);
      for (const why of change.breaking) out.push(`      ${c.red(`! breaking: ${why}`)}`);
    }
  }
  if (plan.dataActions.length > 0) {
    out.push('', 'Data actions:', '');
    const width = Math.max(...plan.dataActions.map((a) => a.address.length));
    for (const action of plan.dataActions) {
      out.push(
        `  ${DATA_ACTION_LABEL[action.type].padEnd(6)} ${action.address.padEnd(width)}  ${dataActionDetail(action)}`,
      );
      out.push(`  ${' '.repeat(7 + width)}  ${c.dim(action.reason)}`);
    }
  }
  const impact = impactRows(plan);
  if (impact.length > 0) {
    out.push('', impactTitle(plan), '');
    const width = Math.max(...impact.map(([a]) => a.length));
    for (const [address, what] of impact) out.push(`  ${address.padEnd(width)}  ${what}`);
  }
  if (plan.problems.length > 0) {
    out.push('', c.red(c.bold('Errors (this plan cannot be applied):')));
    for (const p of plan.problems) {
      out.push(`  ${c.red(`error[${p.code}]`)}: ${p.message}`);
      if (p.hint !== undefined) out.push(`    hint: ${p.hint}`);
    }
  }
  out.push('');
  const nothing = changes.length === 0 && plan.dataActions.length === 0;
  out.push(c.bold(nothing ? NO_CHANGES : summaryLine(plan)));
  return `${out.join('\n')}\n`;
}

function colorField(line: string, c: ReturnType<typeof createColors>): string {
  if (line.startsWith('+')) return c.green(line);
  if (line.startsWith('-')) return c.red(line);
  return c.yellow(line);
}
