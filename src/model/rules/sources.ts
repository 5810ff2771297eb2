import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt } from '../../diagnostics/index.js';
import type { Rule } from './context.js';

/**
 * Stream files are read from the project only: `source: {connection, prefix}` passes the schema
 * but apply cannot read it yet, so validate refuses it instead of apply failing half-way.
 */
export const sourcesReadProjectFiles: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const flow of model.resources.Dataflow.values()) {
    const connection = flow.config.source.connection;
    if (connection === undefined) continue;
    out.push(
      errorAt(
        flow.locate(['source', 'connection']),
        'not-supported',
        `source.connection "${connection}": reading stream files from a connection is not implemented yet`,
        'copy the files into the project and set source.path to a glob that matches them (for example path: data/users/*.csv)',
      ),
    );
  }
  return out;
};
