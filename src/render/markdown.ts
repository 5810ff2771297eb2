import type { Plan, ResourceChange } from '../plan/index.js';
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
import { changeDiagram, DIAGRAM_NODES } from './graph.js';
import { reasonText, warningText } from './reasons.js';

/** GitHub refuses comments over 65,536 characters; stay well under. */
export const MARKDOWN_LIMIT = 60_000;
// Data impact rows shown in a comment (the JSON plan has them all).
const IMPACT_ROWS = 50;
// Room kept for the truncation note and the closing lines.
const RESERVE = 400;

/** The plan as a pull-request comment: summary table, breaking changes first, collapsible details. */
export function renderMarkdown(plan: Plan, limit = MARKDOWN_LIMIT): string {
  return `${markdownBody(plan, limit)}\n`;
}

/** The markdown plan without its final newline, for views that print it as one block. */
export function markdownBody(plan: Plan, limit = MARKDOWN_LIMIT): string {
  const changes = reviewable(plan);
  const s = plan.summary;
  const head: string[] = [
    '### outflow plan',
    '',
    `**${changes.length === 0 && plan.dataActions.length === 0 ? NO_CHANGES : summaryLine(plan)}**`,
    '',
    `<sub>at ${plan.now} · ${stateLine(plan)} · config ${plan.configHash.slice(0, 12)}</sub>`,
    '',
    '| Create | Update | Replace | Delete | Breaking | Data actions |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${s.create} | ${s.update} | ${s.replace} | ${s.delete} | ${s.breaking} | ${s.dataActions} |`,
    '',
  ];
  for (const note of baseNotes(plan)) head.push(`> ${inline(note)}`, '');
  for (const note of filterNotes(plan)) head.push(`> ${note}`, '');
  for (const note of skippedStreamFileNotes(plan)) head.push(`> ${inline(note)}`, '');
  if (plan.warnings !== undefined && plan.warnings.length > 0) {
    head.push('#### ⚠️ Warnings', '');
    for (const w of plan.warnings) head.push(`- ${inline(warningText(w))}`);
    head.push('');
  }
  if (plan.problems.length > 0) {
    head.push('#### ❌ Errors: this plan cannot be applied', '');
    for (const p of plan.problems)
      head.push(
        `- **${code(p.address)}**: ${inline(p.message)}${p.hint === undefined ? '' : ` — ${inline(p.hint)}`}`,
      );
    head.push('');
  }

  const impact = impactRows(plan);
  if (impact.length > 0) {
    head.push(`#### 📊 ${impactTitle(plan)}`, '', '| Resource | Impact |', '|---|---|');
    // The impact sits above the changes, outside the truncation budget: keep it short.
    for (const [address, what] of impact.slice(0, IMPACT_ROWS))
      head.push(`| ${code(address)} | ${cell(what)} |`);
    if (impact.length > IMPACT_ROWS)
      head.push(`| … | ${impact.length - IMPACT_ROWS} more in \`outflow plan --format json\` |`);
    head.push('');
  }

  const blocks: { text: string; counts: boolean }[] = [];
  const breaking = changes.filter((c) => c.classification === 'breaking');
  if (breaking.length > 0) {
    blocks.push({ text: '#### ⚠️ Breaking changes\n', counts: false });
    for (const c of breaking)
      blocks.push({
        text: `- ${code(`${SYMBOL[c.action]} ${c.address}`)} (${c.action})\n${c.breaking.map((b) => `  - ${inline(reasonText(b))}`).join('\n')}`,
        counts: true,
      });
    blocks.push({ text: '', counts: false });
  }
  const diagram = changeDiagram(plan);
  if (diagram !== undefined)
    blocks.push({
      text:
        diagram.mermaid === undefined
          ? `#### Dependency graph\n\n${diagram.nodes} resources are changed, downstream of a change or their direct dependencies: more than ${DIAGRAM_NODES} to draw here; \`outflow graph --format mermaid\` draws the whole graph.\n`
          : `#### Dependency graph\n\nChanged resources (coloured), what depends on them (dashed when unchanged) and their direct dependencies.\n\n\`\`\`mermaid\n${diagram.mermaid}\n\`\`\`\n`,
      counts: false,
    });
  if (changes.length > 0) {
    blocks.push({ text: '#### Resource changes\n', counts: false });
    for (const c of changes) blocks.push({ text: details(c), counts: true });
  }
  const affected = indirectlyAffected(plan);
  if (affected.length > 0) {
    blocks.push({ text: `#### ${INDIRECTLY_AFFECTED}\n`, counts: false });
    for (const a of affected)
      blocks.push({ text: `- ${code(a.address)}: ${inline(affectedText(a))}`, counts: true });
    blocks.push({ text: '', counts: false });
  }
  if (plan.dataActions.length > 0) {
    blocks.push({
      text: '#### Data actions\n\n| Action | Resource | What | Why |\n|---|---|---|---|',
      counts: false,
    });
    for (const a of plan.dataActions)
      blocks.push({
        text: `| ${DATA_ACTION_LABEL[a.type]} | ${code(a.address)} | ${cell(dataActionDetail(a))} | ${cell(reasonText(a.reason))} |`,
        counts: true,
      });
    blocks.push({ text: '', counts: false });
  }

  let text = head.join('\n');
  let omitted = 0;
  for (const block of blocks) {
    if (omitted === 0 && text.length + block.text.length + 1 <= limit - RESERVE) text += `\n${block.text}`;
    else if (block.counts) omitted++;
  }
  if (omitted > 0)
    text += `\n\n> **truncated: ${omitted} more change${omitted === 1 ? '' : 's'} not shown; run \`outflow plan\` locally** for the full plan.\n`;
  return text.replace(/\n+$/, '');
}

function details(change: ResourceChange): string {
  const tag =
    change.classification === 'breaking'
      ? ' — ⚠️ breaking'
      : change.classification === 'metadata-only'
        ? ' — metadata only'
        : '';
  const lines = [...fieldLines(change), ...change.breaking.map((b) => `! breaking: ${reasonText(b)}`)];
  const where = change.file === undefined ? '' : ` (${code(`${change.file}:${change.line}`)})`;
  const body = [`${inline(reasonText(change.reason))}${where}`];
  if (lines.length > 0) {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(lines.join('\n')) + 1));
    body.push('', `${fence}diff`, ...lines, fence);
  }
  return [
    `<details><summary><code>${SYMBOL[change.action]} ${change.address}</code> ${change.action}${tag}</summary>`,
    '',
    ...body,
    '',
    '</details>',
    '',
  ].join('\n');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
}

function code(text: string): string {
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `\`${text}\``;
}

// Text from config (values, reasons) must not turn into markup: escape what Markdown and HTML act on.
function inline(text: string): string {
  return text.replace(/[\\`*[\]<|]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
}

function cell(text: string): string {
  return inline(text);
}
