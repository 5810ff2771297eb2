import type { ResourceGraph } from '../model/index.js';
import type { Plan, ResourceAction } from '../plan/index.js';
import { indirectlyAffected, reviewable, SYMBOL } from './common.js';

export type GraphFormat = 'text' | 'mermaid' | 'dot';

/** `outflow graph`: the resource graph as text (one line per resource), Mermaid or Graphviz dot. */
export function renderGraph(graph: ResourceGraph, format: GraphFormat): string {
  if (format === 'mermaid') return flowchart(graph.addresses, graph.dependencies, (a) => a).join('\n');
  if (format === 'dot') return graphDot(graph);
  return graphText(graph);
}

const mermaidId = (address: string) => address.replace('/', '_');

/**
 * A Mermaid flowchart of the `shown` addresses, an edge from each to what uses it (only between
 * shown ones): what `outflow graph --format mermaid` prints and the markdown plan's diagram builds on.
 */
function flowchart(
  shown: readonly string[],
  dependencies: (address: string) => readonly string[],
  label: (address: string) => string,
): string[] {
  const inDiagram = new Set(shown);
  const lines = ['flowchart LR'];
  for (const a of shown) lines.push(`  ${mermaidId(a)}["${label(a)}"]`);
  for (const a of shown)
    for (const d of dependencies(a))
      if (inDiagram.has(d)) lines.push(`  ${mermaidId(d)} --> ${mermaidId(a)}`);
  return lines;
}

/** The graph in Graphviz dot. */
function graphDot(graph: ResourceGraph): string {
  const lines = ['digraph outflow {', '  rankdir=LR;'];
  for (const a of graph.addresses) lines.push(`  "${a}";`);
  for (const a of graph.addresses) for (const d of graph.dependencies(a)) lines.push(`  "${d}" -> "${a}";`);
  lines.push('}');
  return lines.join('\n');
}

/** One line per resource, kind then name: `Export/fr_daily  depends on Audience/fr, Connection/out`. */
function graphText(graph: ResourceGraph): string {
  if (graph.addresses.length === 0) return '(no resources)';
  const width = Math.max(...graph.addresses.map((a) => a.length));
  return graph.addresses
    .map((a) => {
      const deps = graph.dependencies(a);
      return deps.length === 0 ? a : `${a.padEnd(width)}  depends on ${[...deps].sort().join(', ')}`;
    })
    .join('\n');
}

/** More nodes than this and the change diagram is left out (the note says how to draw it). */
export const DIAGRAM_NODES = 100;

// Addresses of the change diagram, in plan order: the changed and downstream ones, and their direct dependencies.
function changeDiagramNodes(plan: Plan): { shown: string[]; changed: Map<string, ResourceAction> } {
  const changed = new Map(reviewable(plan).map((c) => [c.address, c.action]));
  const downstream = new Set([...changed.keys(), ...indirectlyAffected(plan).map((c) => c.address)]);
  const context = new Set<string>();
  for (const c of plan.resourceChanges)
    if (downstream.has(c.address)) for (const d of c.dependsOn ?? []) if (!downstream.has(d)) context.add(d);
  const inPlan = plan.resourceChanges.map((c) => c.address);
  const shown = inPlan.filter((a) => downstream.has(a) || context.has(a));
  for (const a of context) if (!shown.includes(a)) shown.push(a);
  return { shown, changed };
}

// GitHub's light and dark themes both read these (the plan's colours: green, yellow, purple, red).
const CLASS_DEFS: Record<Exclude<ResourceAction, 'no-op'>, string> = {
  create: 'fill:#dafbe1,stroke:#1a7f37,color:#000',
  update: 'fill:#fff8c5,stroke:#9a6700,color:#000',
  replace: 'fill:#fbefff,stroke:#8250df,color:#000',
  delete: 'fill:#ffebe9,stroke:#cf222e,color:#000',
};

/**
 * The changed resources, everything downstream of them and their direct dependencies, as a
 * Mermaid flowchart (edges point from a resource to what uses it, as `outflow graph`). Changed
 * nodes read `~ Kind/name` and are coloured by action; affected ones are dashed. Undefined when
 * nothing changed; no `mermaid` when there are more than `DIAGRAM_NODES` nodes.
 */
export function changeDiagram(plan: Plan): { nodes: number; mermaid?: string } | undefined {
  const { shown, changed } = changeDiagramNodes(plan);
  if (changed.size === 0) return undefined;
  if (shown.length > DIAGRAM_NODES) return { nodes: shown.length };
  const affected = new Set(indirectlyAffected(plan).map((c) => c.address));
  const dependsOn = new Map(plan.resourceChanges.map((c) => [c.address, c.dependsOn ?? []]));
  const lines = flowchart(
    shown,
    (a) => dependsOn.get(a) ?? [],
    (a) => {
      const action = changed.get(a);
      return `${action === undefined ? '' : `${SYMBOL[action]} `}${a}`;
    },
  );
  for (const [action, style] of Object.entries(CLASS_DEFS)) {
    const members = shown.filter((a) => changed.get(a) === action);
    if (members.length > 0)
      lines.push(`  classDef ${action} ${style}`, `  class ${members.map(mermaidId).join(',')} ${action}`);
  }
  const dashed = shown.filter((a) => affected.has(a));
  if (dashed.length > 0)
    lines.push(
      '  classDef affected stroke-dasharray:4 3',
      `  class ${dashed.map(mermaidId).join(',')} affected`,
    );
  return { nodes: shown.length, mermaid: lines.join('\n') };
}
