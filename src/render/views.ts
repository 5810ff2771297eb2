import { type Diagnostic, formatDiagnosticsText, summaryLine } from '../diagnostics/index.js';
import type { ResourceGraph } from '../model/index.js';
import type { Plan } from '../plan/index.js';
import { type GraphFormat, renderGraph } from './graph.js';
import { markdownBody } from './markdown.js';
import { textLines } from './text.js';

// Views (Terraform's `internal/command/views`): what a command prints, chosen once from its
// options. Each method returns one block for `Output.out`/`err` (no trailing newline).

export type PlanFormat = 'text' | 'markdown' | 'json';

/** How `outflow plan` shows its result. */
export interface PlanView {
  /** The plan. */
  plan(plan: Plan): string;
  /** stdout when the configuration is invalid: the JSON view's error envelope; human views print nothing there (the diagnostics go to stderr). */
  invalidConfig(diagnostics: readonly Diagnostic[]): string | undefined;
}

export function planView(format: PlanFormat, options: { color: boolean }): PlanView {
  if (format === 'json')
    return {
      plan: (plan) => JSON.stringify(plan, null, 2),
      invalidConfig: (diagnostics) =>
        JSON.stringify(
          {
            error: { code: 'invalid-config', message: `no plan: ${summaryLine(diagnostics)}` },
            diagnostics,
          },
          null,
          2,
        ),
    };
  return {
    plan: (plan) => (format === 'markdown' ? markdownBody(plan) : textLines(plan, options).join('\n')),
    invalidConfig: () => undefined,
  };
}

/** How `outflow watch` reports each cycle (human only: it is a terminal loop). */
export interface WatchView {
  /** `── 14:05:09 flows/a.yaml changed ──` after a blank line; `initial plan` on the first cycle. */
  cycle(at: Date, changed: readonly string[]): string;
  diagnostics(diagnostics: readonly Diagnostic[]): string;
  /** `✗ invalid: 1 error; fix and save again (the last good config is kept)` */
  invalid(diagnostics: readonly Diagnostic[], lastGoodKept: boolean): string;
  /** The first plan from the state; later ones since the last good config. */
  plan(plan: Plan, first: boolean): string;
  valid(ms: number): string;
  draft(): string;
  watching(root: string): string;
}

export function watchView(options: { color: boolean }): WatchView {
  return {
    cycle: (at, changed) =>
      `\n── ${at.toISOString().slice(11, 19)} ${changed.length === 0 ? 'initial plan' : `${changed.join(', ')} changed`} ──`,
    diagnostics: (diagnostics) => formatDiagnosticsText(diagnostics, options),
    invalid: (diagnostics, kept) =>
      `✗ invalid: ${summaryLine(diagnostics)}; fix and save again${kept ? ' (the last good config is kept)' : ''}`,
    plan: (plan, first) =>
      textLines(plan, { color: options.color, from: first ? 'state' : 'since-last-good' }).join('\n'),
    valid: (ms) => `✓ valid: re-planned in ${ms} ms`,
    draft: () => 'Draft run (sampleRows rows into _draft/; state untouched):',
    watching: (root) =>
      `Watching ${root}/outflow.yaml and flows/** (Ctrl-C to stop); never applies for real.`,
  };
}

/** How `outflow graph` prints the resource graph. */
export function graphView(format: GraphFormat): { graph(graph: ResourceGraph): string } {
  return { graph: (graph) => renderGraph(graph, format) };
}
