import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findProjectRoot } from '../../config/index.js';
import type { Destination } from '../../destinations/index.js';
import { closest, OutflowError, suggestion } from '../../diagnostics/index.js';
import type { ResourceNode } from '../../model/index.js';
import { loadProject } from '../../project/load.js';
import type { CommandContext } from '../context.js';
import { type InspectReport, inspectJson, inspectText, schemaColumnsYaml } from '../inspect-view.js';

export interface InspectOptions {
  yaml?: boolean;
  rows?: string;
  format?: 'text' | 'json';
}

const MAX_SAMPLE = 1000;
// `name:key`, where name could be a Connection's (a path never starts like this on POSIX).
const CONNECTION_REF = /^([A-Za-z_][A-Za-z0-9_-]*):(.+)$/;

/**
 * `outflow inspect FILE | CONNECTION:KEY`: a stream file's format, columns with DuckDB's
 * types, missing values, record count and first records; `--yaml` prints its schema.columns.
 * A local file needs no project (inspect comes before any YAML); a connection's file does.
 */
export async function inspectCommand(
  ctx: CommandContext,
  target: string,
  options: InspectOptions,
): Promise<number> {
  const sampleRows = parseRows(options.rows);
  if (options.yaml === true && options.format === 'json') {
    throw new OutflowError('invalid-arguments', '--yaml and --format json cannot be combined', {
      hint: '--yaml prints the schema.columns block; --format json includes it as "schemaColumns"',
    });
  }
  const { inspectStreamFile } = await import('../../engine/index.js');
  const local = localFile(ctx, target);
  const ref = CONNECTION_REF.exec(target);
  let report: InspectReport;
  if (local !== undefined) {
    report = { file: target, inspection: await inspectStreamFile(local, { sampleRows, shown: target }) };
  } else if (ref === null) {
    throw missingFile(ctx, target);
  } else {
    const [, name, key] = ref as unknown as [string, string, string];
    report = await withConnectionFile(ctx, name, key, async (file) => ({
      file: target,
      connection: { name, key },
      inspection: await inspectStreamFile(file, { sampleRows, shown: target }),
    }));
  }
  if (options.yaml === true) {
    if (report.inspection.columns.length === 0) {
      throw new OutflowError('inspect-no-columns', `${target} has no columns to map`, {
        hint: 'inspect a stream file that holds at least a header line or one record',
      });
    }
    ctx.output.out(schemaColumnsYaml(report.inspection));
  } else if (options.format === 'json') {
    ctx.output.out(JSON.stringify(inspectJson(report), null, 2));
  } else {
    ctx.output.out(inspectText(report));
  }
  return 0;
}

function parseRows(rows: string | undefined): number {
  if (rows === undefined) return 5;
  const n = Number(rows);
  if (!/^\d+$/.test(rows.trim()) || !Number.isInteger(n) || n > MAX_SAMPLE) {
    throw new OutflowError('invalid-arguments', `--rows ${rows} is not a number from 0 to ${MAX_SAMPLE}`);
  }
  return n;
}

/** The local file `target` names: relative to the working folder first, then to the project root. */
function localFile(ctx: CommandContext, target: string): string | undefined {
  const fromCwd = path.resolve(ctx.cwd, target);
  if (existsSync(fromCwd)) return fromCwd;
  const root = projectRootIfAny(ctx);
  if (root === undefined) return undefined;
  const fromRoot = path.resolve(root, target);
  return existsSync(fromRoot) ? fromRoot : undefined;
}

/** A missing local file, with a did-you-mean from the names in its folder. */
function missingFile(ctx: CommandContext, target: string): OutflowError {
  const folder = path.dirname(path.resolve(ctx.cwd, target));
  let names: string[] = [];
  try {
    names = readdirSync(folder);
  } catch {
    // The folder is missing too: no names to suggest.
  }
  const near = closest(path.basename(target), names);
  const where =
    projectRootIfAny(ctx) === undefined ? 'the current folder' : 'the current folder or the project root';
  return new OutflowError('inspect-file-not-found', `${target} does not exist`, {
    hint:
      near === undefined
        ? `give the path of a stream file, relative to ${where}, or CONNECTION:KEY for a file in a Connection`
        : `did you mean "${path.join(path.dirname(target), near)}"?`,
    meta: { file: target },
  });
}

function projectRootIfAny(ctx: CommandContext): string | undefined {
  try {
    return findProjectRoot(ctx.cwd, ctx.dir);
  } catch {
    return undefined;
  }
}

/**
 * Downloads `key` from the project's Connection `name` into a fresh temp folder (so DuckDB may
 * read that folder and nothing else), hands the file to `use`, and removes it afterwards.
 */
async function withConnectionFile<T>(
  ctx: CommandContext,
  name: string,
  key: string,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const { root, connection } = await findConnection(ctx, name, `${name}:${key}`);
  const { openDestination } = await import('../../destinations/index.js');
  const destination = await openDestination(connection, { root, env: ctx.env });
  const dir = await mkdtemp(path.join(tmpdir(), 'outflow-inspect-'));
  try {
    const base = key
      .split('/')
      .filter((part) => part !== '')
      .pop();
    if (base === undefined) {
      throw new OutflowError('inspect-file-not-found', `${name}:${key} names a folder, not a file`, {
        hint: `give the key of one object in connection "${name}"`,
      });
    }
    const file = path.join(dir, base);
    await destination.download(key, file).catch(async (error: unknown) => {
      throw await explainMissingObject(error, destination, name, key);
    });
    return await use(file);
  } finally {
    await destination.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function findConnection(
  ctx: CommandContext,
  name: string,
  target: string,
): Promise<{ root: string; connection: ResourceNode<'Connection'> }> {
  let root: string;
  try {
    root = findProjectRoot(ctx.cwd, ctx.dir);
  } catch (error) {
    if (!(error instanceof OutflowError)) throw error;
    throw new OutflowError(
      'inspect-file-not-found',
      `${target} is neither a file nor a connection's object`,
      {
        hint: `there is no such local file, and "${name}:" would name a Connection, which needs a project (${error.message}); run in the project or pass -C DIR`,
      },
    );
  }
  // Only the named connection has to be valid: inspect helps while the rest is being written.
  const project = await loadProject(root, { env: ctx.env, secretsRequired: false, checkExpressions: false });
  const connection = project.model.resources.Connection.get(name);
  if (connection !== undefined) return { root, connection };
  if (project.model.invalid.has(`Connection/${name}`)) {
    throw new OutflowError('invalid-connection', `connection "${name}" has errors`, {
      hint: 'run "outflow validate" and fix them first',
    });
  }
  const names = [...project.model.resources.Connection.keys()];
  throw new OutflowError('unknown-connection', `no file ${target}, and no Connection named "${name}"`, {
    hint: suggestion(name, names, 'connections'),
    meta: { connection: name },
  });
}

/** A missing object gets a did-you-mean from its folder's keys. */
async function explainMissingObject(
  error: unknown,
  destination: Destination,
  name: string,
  key: string,
): Promise<unknown> {
  if (!(error instanceof OutflowError) || error.code !== 'object-not-found') return error;
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  const keys = await destination
    .list(folder)
    .then((objects) => objects.map((o) => o.key).filter((k) => !k.slice(folder.length).includes('/')))
    .catch(() => []);
  const near = closest(key, keys);
  return new OutflowError(
    'object-not-found',
    `${name}:${key} does not exist (${destination.describe(key)})`,
    {
      hint:
        near !== undefined
          ? `did you mean "${name}:${near}"?`
          : keys.length === 0
            ? `connection "${name}" has no objects under "${folder || '/'}"`
            : `objects there: ${keys
                .slice(0, 8)
                .map((k) => `${name}:${k}`)
                .join(', ')}${keys.length > 8 ? ', …' : ''}`,
      meta: { connection: name, key },
      cause: error,
    },
  );
}
