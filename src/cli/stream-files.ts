import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { Model } from '../model/index.js';
import type { Observed } from '../plan/index.js';

/**
 * The stream files each dataflow's `source.path` glob matches now, project-relative and sorted.
 * Only regular files inside the project root count (symlinks leading out of it are skipped).
 * Dataflows reading from a connection are not listed here.
 */
export function listStreamFiles(root: string, model: Model): Observed {
  const realRoot = realpathSync(root);
  const streamFiles: NonNullable<Observed['streamFiles']> = {};
  for (const node of model.resources.Dataflow.values()) {
    const glob = node.config.source.path;
    if (glob === undefined) continue;
    const { base } = picomatch.scan(glob);
    const isMatch = picomatch(glob);
    // Without `**` a match can be no deeper than the glob has segments; and dot folders never match.
    const depth = glob.includes('**')
      ? Number.POSITIVE_INFINITY
      : glob.split('/').length - (base === '' ? 0 : base.split('/').length);
    const files: { path: string; size: number }[] = [];
    for (const rel of walk(realRoot, base === '' ? '.' : base, depth)) {
      if (!isMatch(rel)) continue;
      const stat = lstatSync(join(realRoot, rel));
      files.push({ path: rel, size: stat.size });
    }
    streamFiles[node.address] = files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return { streamFiles };
}

// Regular files under `dir` (project-relative, `/`-separated); missing folders yield nothing.
function walk(realRoot: string, dir: string, depth: number): string[] {
  const out: string[] = [];
  const abs = join(realRoot, dir);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return out;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return out;
  if (lstatSync(abs).isFile()) return [dir.split(sep).join('/')];
  if (depth <= 0) return out;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = relative(realRoot, join(abs, e.name)).split(sep).join('/');
    if (e.isDirectory()) out.push(...walk(realRoot, rel, depth - 1));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}
