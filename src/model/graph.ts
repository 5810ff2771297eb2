import type { ConfigPath } from '../config/index.js';
import { address, allResources, type Kind, type Model, type ResourceNode } from './model.js';

/** A name in one resource's config that points at another resource. */
export interface Reference {
  path: ConfigPath;
  kind: Kind;
  name: string;
}

/** Every reference a resource's config makes, in config order (the rules check each one resolves). */
export function referencesOf(node: ResourceNode): Reference[] {
  const out: Reference[] = [];
  const ref = (path: ConfigPath, kind: Kind, name: string | undefined) => {
    if (name !== undefined) out.push({ path, kind, name });
  };
  switch (node.kind) {
    case 'Project': {
      const c = (node as ResourceNode<'Project'>).config;
      ref(['state', 'connection'], 'Connection', c.state?.connection);
      break;
    }
    case 'Dataflow': {
      const c = (node as ResourceNode<'Dataflow'>).config;
      ref(['source', 'connection'], 'Connection', c.source.connection);
      break;
    }
    case 'Audience': {
      const c = (node as ResourceNode<'Audience'>).config;
      ref(['people'], 'Dataflow', c.people);
      ref(['events'], 'Dataflow', c.events);
      break;
    }
    case 'Export': {
      const c = (node as ResourceNode<'Export'>).config;
      ref(['from', 'audience'], 'Audience', c.from.audience);
      ref(['from', 'dataflow'], 'Dataflow', c.from.dataflow);
      ref(['destination'], 'Connection', c.destination);
      break;
    }
    case 'Activation': {
      const c = (node as ResourceNode<'Activation'>).config;
      ref(['destination'], 'Connection', c.destination);
      c.audiences.forEach((a, i) => {
        ref(['audiences', i], 'Audience', a);
      });
      break;
    }
    case 'Connection':
      break;
  }
  return out;
}

/**
 * The resource graph (dbt's parent and child maps): an edge from each resource to every resource
 * it references. One graph serves `--target`/`--exclude` (closure over dependencies), `run`
 * selection, skipping the dependents of a failed item, and "indirectly affected" in plans.
 */
export interface ResourceGraph {
  /** Every declared resource address, in kind then name order. */
  readonly addresses: readonly string[];
  /** What `address` references directly (declared resources only). */
  dependencies(address: string): readonly string[];
  /** What references `address` directly. */
  dependents(address: string): readonly string[];
  /** `addresses` and everything they depend on, transitively. */
  withDependencies(addresses: Iterable<string>): Set<string>;
  /** `addresses` and everything that depends on them, transitively. */
  withDependents(addresses: Iterable<string>): Set<string>;
}

export function buildGraph(model: Model): ResourceGraph {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  const nodes = allResources(model);
  for (const node of nodes) {
    parents.set(node.address, []);
    children.set(node.address, []);
  }
  for (const node of nodes) {
    for (const r of referencesOf(node)) {
      const target = address(r.kind, r.name);
      if (!parents.has(target) || parents.get(node.address)!.includes(target)) continue;
      parents.get(node.address)!.push(target);
      children.get(target)!.push(node.address);
    }
  }
  const closure = (start: Iterable<string>, next: Map<string, string[]>) => {
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length > 0) {
      const a = stack.pop()!;
      if (seen.has(a)) continue;
      seen.add(a);
      stack.push(...(next.get(a) ?? []));
    }
    return seen;
  };
  return {
    addresses: nodes.map((n) => n.address),
    dependencies: (a) => parents.get(a) ?? [],
    dependents: (a) => children.get(a) ?? [],
    withDependencies: (start) => closure(start, parents),
    withDependents: (start) => closure(start, children),
  };
}
