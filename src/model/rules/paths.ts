import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, warningAt } from '../../diagnostics/index.js';
import { parseTemplate, pathEscapes } from '../path-template.js';
import type { Rule } from './context.js';

/** No path in the config can leave its root; export path templates use known tokens. */
export const pathsStayInRoot: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  const check = (
    node: { locate: (p: (string | number)[]) => import('../../diagnostics/index.js').SourcePosition },
    path: (string | number)[],
    value: string | undefined,
    what: string,
  ) => {
    if (value === undefined) return;
    const why = pathEscapes(value);
    if (why !== undefined)
      out.push(
        errorAt(
          node.locate(path),
          'path-escapes-root',
          `${what} "${value}" ${why}; paths must stay inside their root`,
          'write a path relative to the project (or the destination), without ".."',
        ),
      );
  };
  const project = model.project;
  if (project !== undefined) {
    check(project, ['state', 'path'], project.config.state?.path, 'state.path');
    check(project, ['state', 'prefix'], project.config.state?.prefix, 'state.prefix');
    check(project, ['engine', 'database'], project.config.engine?.database, 'engine.database');
  }
  for (const flow of model.resources.Dataflow.values()) {
    check(flow, ['source', 'path'], flow.config.source.path, 'source.path');
    check(flow, ['source', 'prefix'], flow.config.source.prefix, 'source.prefix');
    if (flow.config.source.path === undefined && flow.config.source.connection === undefined) {
      out.push(
        errorAt(
          flow.locate(['source']),
          'missing-field',
          'source needs a "path" (a glob in the project) or a "connection" with a "prefix"',
          'for example path: data/users/*.csv',
        ),
      );
    }
  }
  for (const conn of model.resources.Connection.values()) {
    const c = conn.config as { root?: string; prefix?: string; type: string };
    if (c.type === 'local') check(conn, ['root'], c.root, 'root');
    check(conn, ['prefix'], c.prefix, 'prefix');
  }
  for (const exp of model.resources.Export.values()) {
    const template = exp.config.path;
    if (template === undefined) continue;
    const { parts, problems } = parseTemplate(template);
    for (const p of problems) {
      const pos = exp.locate(['path']);
      out.push(
        errorAt(
          {
            ...pos,
            column:
              pos.column +
              (pos.source?.[pos.column - 1] === '"' || pos.source?.[pos.column - 1] === "'" ? 1 : 0) +
              p.offset,
          },
          p.message.startsWith('path ') ? 'path-escapes-root' : 'invalid-path-template',
          p.message,
          p.hint,
        ),
      );
    }
    if (problems.length > 0) continue;
    const tokens = new Set(parts.flatMap((p) => ('token' in p ? [p.token] : [])));
    if (exp.config.chunk !== undefined && !tokens.has('index')) {
      out.push(
        errorAt(
          exp.locate(['path']),
          'invalid-path-template',
          'a chunked export writes several files, but the path has no {index}',
          'add {index} to the file name',
        ),
      );
    }
    if (exp.config.splitBy === 'event' && !tokens.has('event')) {
      out.push(
        errorAt(
          exp.locate(['path']),
          'invalid-path-template',
          'splitBy: event writes one series per event, but the path has no {event}',
          'add {event} to the path',
        ),
      );
    }
    if (!tokens.has('runId') && !tokens.has('exportTime') && !tokens.has('date')) {
      out.push(
        warningAt(
          exp.locate(['path']),
          'path-not-unique',
          "the path has no {runId}, {exportTime} or {date}: every run overwrites the previous run's files",
          'add {runId} (or {exportTime:yyyyMMddHHmm}) so runs keep their own files',
        ),
      );
    }
  }
  return out;
};
