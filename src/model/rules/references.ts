import type { ConfigPath } from '../../config/index.js';
import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, suggestion } from '../../diagnostics/index.js';
import type { Kind, Model, ResourceNode } from '../model.js';
import { RESOURCE_KINDS } from '../model.js';
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
  const project = model.project;
  if (project?.config.state?.connection !== undefined) {
    checkReference(
      model,
      project,
      ['state', 'connection'],
      'Connection',
      project.config.state.connection,
      out,
    );
  }
  for (const flow of model.resources.Dataflow.values()) {
    if (flow.config.source.connection !== undefined)
      checkReference(model, flow, ['source', 'connection'], 'Connection', flow.config.source.connection, out);
  }
  for (const aud of model.resources.Audience.values()) {
    checkReference(model, aud, ['people'], 'Dataflow', aud.config.people, out);
    if (aud.config.events !== undefined)
      checkReference(model, aud, ['events'], 'Dataflow', aud.config.events, out);
  }
  for (const exp of model.resources.Export.values()) {
    const from = exp.config.from;
    if (from.audience !== undefined)
      checkReference(model, exp, ['from', 'audience'], 'Audience', from.audience, out);
    if (from.dataflow !== undefined)
      checkReference(model, exp, ['from', 'dataflow'], 'Dataflow', from.dataflow, out);
    checkReference(model, exp, ['destination'], 'Connection', exp.config.destination, out);
  }
  for (const act of model.resources.Activation.values()) {
    const dest = checkReference(model, act, ['destination'], 'Connection', act.config.destination, out);
    if (dest !== undefined && (dest as ResourceNode<'Connection'>).config.type !== 'webhook') {
      out.push(
        errorAt(
          act.locate(['destination']),
          'wrong-destination-type',
          `destination "${dest.name}" is a ${(dest as ResourceNode<'Connection'>).config.type} connection; activations push to a webhook`,
          'use a Connection with type: webhook, or export files with an Export instead',
        ),
      );
    }
    act.config.audiences.forEach((a, i) => {
      checkReference(model, act, ['audiences', i], 'Audience', a, out);
    });
  }
  return out;
};
