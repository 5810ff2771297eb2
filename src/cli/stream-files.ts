import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { Model } from '../model/index.js';
import type {
  Observed,
  Plan,
  PlanWarning,
  SkippedStreamFile,
  StreamFile,
  StreamFileSkipReason,
} from '../plan/index.js';

/** The stream files of every dataflow, and the matching paths that were skipped (and why). */
export interface StreamFileListing extends Observed {
  streamFiles: NonNullable<Observed['streamFiles']>;
  skipped: SkippedStreamFile[];
}

/**
 * The stream files each dataflow's `source.path` glob matches now, project-relative and sorted.
 * Only regular files inside the project root count: symbolic links are skipped (their targets
 * may lie outside the folders DuckDB may read, and a link is not the file it points to), and
 * each skipped link the glob matches is listed in `skipped` with its reason, so the user is told.
 * Dataflows reading from a connection are not listed here.
 */
export function listStreamFiles(root: string, model: Model): StreamFileListing {
  const realRoot = realpathSync(root);
  const streamFiles: StreamFileListing['streamFiles'] = {};
  const skipped: SkippedStreamFile[] = [];
  for (const node of model.resources.Dataflow.values()) {
    const glob = node.config.source.path;
    if (glob === undefined) continue;
    const { base } = picomatch.scan(glob);
    // Compiled only when the walk finds something to match (most globs of a project find nothing yet).
    let matcher: picomatch.Matcher | undefined;
    const isMatch = (path: string) => {
      matcher ??= picomatch(glob);
      return matcher(path);
    };
    // Without `**` a match can be no deeper than the glob has segments; and dot folders never match.
    const depth = glob.includes('**')
      ? Number.POSITIVE_INFINITY
      : glob.split('/').length - (base === '' ? 0 : base.split('/').length);
    const found = walk(realRoot, base === '' ? '.' : base, depth);
    const files: { path: string; size: number }[] = [];
    for (const rel of found.files) {
      if (!isMatch(rel)) continue;
      const stat = lstatSync(join(realRoot, rel));
      files.push({ path: rel, size: stat.size });
    }
    streamFiles[node.address] = files.sort((a, b) => byPath(a.path, b.path));
    const links = found.links.filter((l) => l.folder || isMatch(l.path));
    skipped.push(...links.map((l) => ({ address: node.address, path: l.path, reason: l.reason })));
  }
  skipped.sort((a, b) => byPath(a.address, b.address) || byPath(a.path, b.path));
  return { streamFiles, skipped };
}

/** The plan with the listing's skipped paths (plan JSON `skippedStreamFiles`), when there are any. */
export function withSkippedStreamFiles(plan: Plan, listing: StreamFileListing): Plan {
  return listing.skipped.length === 0 ? plan : { ...plan, skippedStreamFiles: listing.skipped };
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface SkippedLink {
  path: string;
  reason: StreamFileSkipReason;
  /** A link to a folder the walk would have descended into (reported whatever its name). */
  folder: boolean;
}

function linkReason(realRoot: string, abs: string): { reason: StreamFileSkipReason; folder: boolean } {
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return { reason: 'broken-symlink', folder: false };
  }
  const inside = real === realRoot || real.startsWith(realRoot + sep);
  let folder = false;
  try {
    folder = statSync(real).isDirectory();
  } catch {
    // Unreadable target: reported as a link, not descended.
  }
  return { reason: inside ? 'symlink' : 'symlink-outside-project', folder };
}

// Regular files under `dir` (project-relative, `/`-separated) and the symbolic links met on the
// way; missing folders yield nothing. A link as the glob's base folder is followed when it stays
// in the project.
function walk(realRoot: string, dir: string, depth: number): { files: string[]; links: SkippedLink[] } {
  const out = { files: [] as string[], links: [] as SkippedLink[] };
  const abs = join(realRoot, dir);
  const rel = dir.split(sep).join('/');
  // Most globs of a new project match nothing yet: a missing folder (not even a broken link)
  // returns here without the two exceptions the checks below would throw.
  try {
    if (lstatSync(abs, { throwIfNoEntry: false }) === undefined) return out;
  } catch {
    return out;
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    try {
      if (lstatSync(abs).isSymbolicLink())
        out.links.push({ path: rel, reason: 'broken-symlink', folder: false });
    } catch {
      // Not there at all: nothing to list.
    }
    return out;
  }
  const lstat = lstatSync(abs);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    out.links.push({ path: rel, reason: 'symlink-outside-project', folder: statSync(real).isDirectory() });
    return out;
  }
  if (lstat.isFile()) return { files: [rel], links: [] };
  if (lstat.isSymbolicLink() && !statSync(real).isDirectory()) {
    out.links.push({ path: rel, reason: 'symlink', folder: false });
    return out;
  }
  if (depth <= 0) return out;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const entryAbs = join(abs, e.name);
    const entryRel = relative(realRoot, entryAbs).split(sep).join('/');
    if (e.isDirectory()) {
      const inner = walk(realRoot, entryRel, depth - 1);
      out.files.push(...inner.files);
      out.links.push(...inner.links);
    } else if (e.isFile()) out.files.push(entryRel);
    else if (e.isSymbolicLink()) {
      const { reason, folder } = linkReason(realRoot, entryAbs);
      // A folder link matters only where the walk would have gone into a folder.
      if (!folder || depth - 1 > 0) out.links.push({ path: entryRel, reason, folder });
    }
  }
  return out;
}

/**
 * The stream files of dataflows that read from a Connection (`source: {connection, prefix,
 * path}`): the store is listed under `prefix` and `path` is a glob relative to it (default every
 * file). Each file is `connection:key` with its size and the store's version tag. Listing talks
 * to the store, so it is async and may fail (a clear OutflowError naming the connection).
 */
export async function listConnectionStreamFiles(
  root: string,
  model: Model,
  env: Readonly<Record<string, string | undefined>>,
  onError?: (address: string, connection: string, error: unknown) => void,
): Promise<Record<string, StreamFile[]>> {
  const out: Record<string, StreamFile[]> = {};
  const flows = [...model.resources.Dataflow.values()].filter(
    (f) => f.config.source.connection !== undefined,
  );
  if (flows.length === 0) return out;
  const { openDestination } = await import('../destinations/index.js');
  for (const flow of flows) {
    const source = flow.config.source;
    const connection = model.resources.Connection.get(source.connection!)!;
    const prefix = folderPrefix(source.prefix);
    const isMatch = picomatch(source.path ?? '**', { dot: false });
    let destination: Awaited<ReturnType<typeof openDestination>>;
    try {
      destination = await openDestination(connection, { root, env });
    } catch (error) {
      if (onError === undefined) throw error;
      onError(flow.address, connection.name, error);
      continue;
    }
    try {
      const objects = await destination.list(prefix);
      out[flow.address] = objects
        .filter((o) => isMatch(o.key.slice(prefix.length)) && !o.key.endsWith('/'))
        .map((o) => ({
          path: `${connection.name}:${o.key}`,
          size: o.size,
          ...(o.version === undefined ? {} : { version: o.version }),
          connection: connection.name,
          key: o.key,
        }));
    } catch (error) {
      if (onError === undefined) throw error;
      onError(flow.address, connection.name, error);
    } finally {
      await destination.close();
    }
  }
  return out;
}

/** `users`, `users/` and `/users/` all mean the folder `users/`; empty means the whole store. */
function folderPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

/**
 * Every dataflow's stream files now: local globs and connection stores together. apply and run
 * need them all (a store that cannot be listed fails the command); a plan (`lenient`) goes on
 * without that dataflow's files and says why in `unlisted`, so a pull-request plan works on a CI
 * runner that has no store credentials.
 */
export async function observeStreamFiles(
  root: string,
  model: Model,
  env: Readonly<Record<string, string | undefined>>,
  options: { lenient?: boolean } = {},
): Promise<StreamFileListing & { unlisted: PlanWarning[] }> {
  const local = listStreamFiles(root, model);
  const unlisted: PlanWarning[] = [];
  const remote = await listConnectionStreamFiles(
    root,
    model,
    env,
    options.lenient === true
      ? (address, connection, error) =>
          unlisted.push({
            code: 'stream-files-unlisted',
            address,
            connection,
            type: model.resources.Connection.get(connection)!.config.type,
            message: error instanceof Error ? error.message : String(error),
          })
      : undefined,
  );
  return { ...local, streamFiles: { ...local.streamFiles, ...remote }, unlisted };
}

/** The plan with the stream-file sources it could not list, as warnings. */
export function withUnlistedStreamFiles(plan: Plan, unlisted: readonly PlanWarning[]): Plan {
  return unlisted.length === 0 ? plan : { ...plan, warnings: [...unlisted, ...(plan.warnings ?? [])] };
}
