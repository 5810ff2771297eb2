import type { Diagnostic } from '../../diagnostics/index.js';
import { closest, errorAt } from '../../diagnostics/index.js';
import type { Rule } from './context.js';

/**
 * Project `state`: `local` takes only `path`; `s3`, `gcs` and `azure` take a `connection` of the
 * same type (which must exist) and a `prefix`, and no `path`.
 */
export const stateBackendIsComplete: Rule = ({ model }) => {
  const project = model.project;
  const state = project?.config.state;
  if (project === undefined || state === undefined) return [];
  const out: Diagnostic[] = [];
  const at = (field: string) => project.locate(['state', field], { key: true });
  if (state.backend === 'local') {
    for (const field of ['connection', 'prefix'] as const) {
      if (state[field] === undefined) continue;
      out.push(
        errorAt(
          at(field),
          'state-field-not-allowed',
          `state.${field} is only for remote backends (s3, gcs, azure); this state is local`,
          `remove ${field}, or set backend: s3, gcs or azure to keep state in that connection's bucket`,
        ),
      );
    }
    return out;
  }
  const backend = state.backend;
  if (state.path !== undefined)
    out.push(
      errorAt(
        at('path'),
        'state-field-not-allowed',
        `state.path is only for backend: local; a ${backend} state lives at <connection prefix>/<state.prefix>/state.json`,
        'remove path (the state object is always state.json under state.prefix)',
      ),
    );
  if (state.prefix === undefined)
    out.push(
      errorAt(
        project.locate(['state', 'backend']),
        'state-prefix-missing',
        `a ${backend} state needs state.prefix: the folder that holds state.json and its lock`,
        'add prefix: outflow/state (any folder no export writes into)',
      ),
    );
  const connections = model.resources.Connection;
  if (state.connection === undefined) {
    out.push(
      errorAt(
        project.locate(['state', 'backend']),
        'state-connection-missing',
        `a ${backend} state needs state.connection: the Connection whose bucket holds it`,
        `add connection: <name of a ${backend} Connection>`,
      ),
    );
    return out;
  }
  const connection = connections.get(state.connection);
  const sameType = [...connections.values()].filter((c) => c.config.type === backend).map((c) => c.name);
  if (connection === undefined) {
    const near = closest(state.connection, sameType);
    out.push(
      errorAt(
        project.locate(['state', 'connection']),
        'state-connection-unknown',
        `state.connection "${state.connection}" is not a Connection`,
        near !== undefined
          ? `did you mean "${near}"?`
          : sameType.length > 0
            ? `${backend} connections: ${sameType.map((n) => `"${n}"`).join(', ')}`
            : `declare a Connection of type ${backend} (kind: Connection, type: ${backend}) for the state`,
      ),
    );
  } else if (connection.config.type !== backend) {
    out.push(
      errorAt(
        project.locate(['state', 'connection']),
        'state-connection-type',
        `state.connection "${state.connection}" is a ${connection.config.type} connection; backend ${backend} needs a ${backend} one`,
        sameType.length > 0
          ? `use one of: ${sameType.map((n) => `"${n}"`).join(', ')}, or change backend to ${connection.config.type === 's3' || connection.config.type === 'gcs' || connection.config.type === 'azure' ? connection.config.type : 'the connection’s type'}`
          : `declare a Connection of type ${backend} for the state`,
      ),
    );
  }
  return out;
};
