import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, warningAt } from '../../diagnostics/index.js';
import { clevertapFormatProblems, resolveClevertapLayout } from '../clevertap-layout.js';
import { columnNames } from '../columns.js';
import type { Rule } from './context.js';

/** `layout: clevertap` reads an event dataflow, in a format it has, with columns that exist. */
export const exportLayoutFitsSource: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const exp of model.resources.Export.values()) {
    const c = exp.config;
    if (c.layout !== 'clevertap') {
      if (c.clevertap !== undefined)
        out.push(
          warningAt(
            exp.locate(['clevertap'], { key: true }),
            'ignored-field',
            'clevertap is only used with layout: clevertap',
            'add layout: clevertap, or remove clevertap',
          ),
        );
      continue;
    }
    const audience = c.from.audience !== undefined;
    const flowNode = audience ? undefined : model.resources.Dataflow.get(c.from.dataflow ?? '');
    // An unresolved dataflow is reported by referencesResolve.
    if (!audience && flowNode === undefined) continue;
    const flow = flowNode === undefined ? undefined : { name: flowNode.name, config: flowNode.config };
    const fields =
      flow === undefined
        ? []
        : c.type === 'dataOut' || c.fields === undefined
          ? columnNames(flow.config)
          : c.fields;
    const { problems } = resolveClevertapLayout(c, flow, fields);
    for (const p of [...problems, ...clevertapFormatProblems(c)]) {
      out.push(
        errorAt(exp.locate(p.path, p.key === true ? { key: true } : undefined), p.code, p.message, p.hint),
      );
    }
  }
  return out;
};
