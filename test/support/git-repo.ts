import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Fixed identity and dates: commit hashes (and so the plans that print them) are reproducible.
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'outflow tests',
  GIT_AUTHOR_EMAIL: 'tests@outflow.invalid',
  GIT_COMMITTER_NAME: 'outflow tests',
  GIT_COMMITTER_EMAIL: 'tests@outflow.invalid',
  GIT_AUTHOR_DATE: '2026-11-19T12:00:00Z',
  GIT_COMMITTER_DATE: '2026-11-19T12:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// Git-ignored folders outflow writes (state, warehouse, published files) survive a work-tree swap.
const KEEP = new Set(['.git', '.outflow', 'out']);

/** Replaces the work tree (everything but .git and outflow's ignored folders) with a copy of `from`. */
export function replaceWorkTree(dir: string, from: string): void {
  for (const entry of readdirSync(dir)) if (!KEEP.has(entry)) rmSync(join(dir, entry), { recursive: true });
  cpSync(from, dir, { recursive: true });
}

/**
 * A temp git repository: `base` committed on `main`, `onBase` run on it (for example an apply),
 * then `head` committed on `feature` (checked out). Returns the folder; the caller removes it.
 */
export async function baseHeadRepo(
  base: string,
  head: string,
  onBase?: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-git-'));
  git(dir, 'init', '--quiet', '--initial-branch=main');
  replaceWorkTree(dir, base);
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'base');
  await onBase?.(dir);
  git(dir, 'checkout', '--quiet', '-b', 'feature');
  replaceWorkTree(dir, head);
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '--allow-empty', '-m', 'head');
  return dir;
}
