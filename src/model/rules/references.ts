import type { ConfigPath } from '../../config/index.js';
import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, suggestion } from '../../diagnostics/index.js';
import { referencesOf } from '../graph.js';
import type { Kind, Model, ResourceNode } from '../model.js';
import { allResources, RESOURCE_KINDS } from '../model.js';
import type { Rule } from './context.js';

/** Resolves `name` to a resource of `kind`, or explains what `name` is instead. */
export function checkReference(
  model: Model,
  from: ResourceNode,
  path: ConfigPath,
  kind: Kind,
  name: string,
  out: Diagnostic[],
): ResourceNode | undefined {
  const found = model.resources[kind].get(name) as ResourceNode | undefined;
  if (found !== undefined || model.invalid.has(`${kind}/${name}`)) return found;
  const field = path.filter((p) => typeof p === 'string').join('.');
  const other = RESOURCE_KINDS.find((k) => k !== kind && model.resources[k].has(name));
  if (other !== undefined) {
    out.push(
      errorAt(
        from.locate(path),
        'wrong-kind-reference',
        `${field} "${name}" is a ${other}, not a ${kind}`,
        suggestion(name, [...model.resources[kind].keys()], `${kind}s`),
      ),
    );
  } else {
    out.push(
      errorAt(
        from.locate(path),
        'unknown-reference',
        `${field} "${name}" is not a ${kind}`,
        suggestion(name, [...model.resources[kind].keys()], `${kind}s`),
      ),
    );
  }
  return undefined;
}

/** Every name that points at another resource resolves to a resource of the right kind. */
export const referencesResolve: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const node of allResources(model)) {
    const found = referencesOf(node).map((r) => checkReference(model, node, r.path, r.kind, r.name, out));
    if (node.kind !== 'Activation') continue;
    const dest = found[0] as ResourceNode<'Connection'> | undefined;
    if (dest !== undefined && dest.config.type !== 'webhook') {
      out.push(
        errorAt(
          node.locate(['destination']),
          'wrong-destination-type',
          `destination "${dest.name}" is a ${dest.config.type} connection; activations push to a webhook`,
          'use a Connection with type: webhook, or export files with an Export instead',
        ),
      );
    }
  }
  return out;
};
