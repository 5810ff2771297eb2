import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { isConfigPath, PROJECT_FILE } from '../config/index.js';
import { OutflowError } from '../diagnostics/index.js';

/** The project's config files as they were at a git revision, never touching the work tree. */
export interface BaseConfig {
  /** The ref as given (for example `origin/main`). */
  ref: string;
  /** The commit the config was read at: the merge base of REF and HEAD (as `git diff REF...HEAD`). */
  commit: string;
  /** Project-relative path → file bytes. */
  files: Map<string, Buffer>;
}

// Many small `git show` processes at once would only queue; five is simple-git's default too.
const CONCURRENCY = 6;

/**
 * Reads outflow.yaml and flows/** at the merge base of `ref` and HEAD, with `git ls-tree` and
 * `git show REF:path` (so the PR's own changes are what the plan shows, even when the base
 * branch moved on). A shallow clone without the merge base gets a clear error.
 */
export async function readBaseConfig(root: string, ref: string): Promise<BaseConfig> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: root, maxConcurrentProcesses: CONCURRENCY });
  const top = await git.revparse(['--show-toplevel']).catch((error: unknown) => {
    throw new OutflowError('git-not-a-repository', `--base needs a git repository: ${root} is not in one`, {
      hint: `run plan without --base, or inside a clone (${firstLine(error)})`,
    });
  });
  const shallow = (await git.revparse(['--is-shallow-repository']).catch(() => 'false')) === 'true';
  const unshallow = shallow
    ? 'this is a shallow clone: run "git fetch --unshallow" (or checkout with fetch-depth: 0) first'
    : undefined;
  const target = await git.revparse(['--verify', '--quiet', `${ref}^{commit}`]).catch(() => '');
  if (target === '')
    throw new OutflowError('git-unknown-ref', `--base ${ref}: no such commit in this repository`, {
      hint: unshallow ?? `fetch it first, for example "git fetch origin main", or check the name`,
    });
  const commit = (await git.raw(['merge-base', target, 'HEAD']).catch(() => '')).trim();
  if (commit === '')
    throw new OutflowError('git-no-merge-base', `--base ${ref}: no common ancestor with HEAD`, {
      hint: unshallow ?? 'the branches share no history; check the ref',
    });
  // Paths in the tree are relative to the repository's top level; the project may sit below it.
  const prefix = relative(realpathSync(top.trim()), realpathSync(root)).split(sep).join('/');
  const scope = prefix === '' ? '' : `${prefix}/`;
  // --full-name and a top-anchored pathspec: ls-tree is otherwise relative to the current folder.
  const listed = await git.raw([
    'ls-tree',
    '-r',
    '-z',
    '--full-name',
    '--name-only',
    commit,
    '--',
    `:(top)${scope}`,
  ]);
  const paths = listed
    .split('\0')
    .filter((p) => p.startsWith(scope))
    .map((p) => p.slice(scope.length))
    .filter(isConfigPath);
  if (!paths.includes(PROJECT_FILE))
    throw new OutflowError(
      'git-base-not-a-project',
      `--base ${ref}: ${scope}${PROJECT_FILE} does not exist at ${commit.slice(0, 12)}`,
      { hint: 'the project is new in this change; plan without --base' },
    );
  const files = new Map<string, Buffer>();
  await Promise.all(
    paths.map(async (path) => {
      files.set(path, await git.showBuffer([`${commit}:${scope}${path}`]));
    }),
  );
  return { ref, commit, files };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
}
