import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userCacheDir } from '../config/index.js';

/**
 * Remembers which column expressions passed the DuckDB check, so that a validate or plan whose
 * expressions did not change never loads DuckDB (~0.3 s of a cold start).
 *
 * Only passes are remembered; an expression with a problem is checked again every time, so
 * its diagnostics come from the checker itself. An entry is the sha256 of everything the
 * check's answer depends on: the expression text, the columns it may use, and the checker's
 * identity — outflow's version, the checker's own code (the engine's expression modules,
 * hashed), the DuckDB packages' versions and node's version. A different checker starts from
 * an empty cache. The file lives in the user's cache folder, never in the project, so a
 * config repository cannot bring entries of its own; a file that does not read as this format
 * is ignored (and replaced on the next write).
 */
export interface ExpressionCache {
  /** Whether this expression, with these columns, passed the same checker before. */
  passed(expr: string, columns: readonly string[] | undefined): boolean;
  /** Records a pass (kept in memory until save()). */
  remember(expr: string, columns: readonly string[] | undefined): void;
  /** Writes the file when something new passed; errors are ignored (the cache is optional). */
  save(): void;
}

const FORMAT = 1;
const FILE_NAME = 'expression-checks.json';
/** Enough for many projects' expressions; the oldest entries are dropped beyond it. */
export const MAX_ENTRIES = 20_000;
const ENTRY = /^[0-9a-f]{64}$/;
// The modules whose code decides a check's answer (expression.ts and what it imports).
const CHECKER_MODULES =
  /^(expression|expression-ast|expression-functions|expression-problem|expression-scan|closest-name)\.(js|ts)$/;

/** Where the cache file lives (see userCacheDir): the same folder as outflow's other caches. */
export const expressionCacheDir = userCacheDir;

let checkerIdentity: string | undefined;

/** The checker's identity (see ExpressionCache); computed once per process, without loading DuckDB. */
export function expressionCheckerId(): string {
  if (checkerIdentity !== undefined) return checkerIdentity;
  const hash = createHash('sha256');
  const here = dirname(fileURLToPath(import.meta.url));
  const { version } = JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  hash.update(`outflow ${version}\0node ${process.version}\0`);
  const require = createRequire(import.meta.url);
  for (const pkg of ['@duckdb/node-api', '@duckdb/node-bindings']) {
    const { version } = require(`${pkg}/package.json`) as { version: string };
    hash.update(`${pkg} ${version}\0`);
  }
  const engineDir = join(here, '..', 'engine');
  const modules = readdirSync(engineDir)
    .filter((name) => CHECKER_MODULES.test(name))
    .sort();
  // Without its code the identity would not change with it: refuse to cache at all.
  if (modules.length < 6) throw new Error(`expression checker modules not found in ${engineDir}`);
  for (const name of modules)
    hash
      .update(`${name}\0`)
      .update(readFileSync(join(engineDir, name)))
      .update('\0');
  checkerIdentity = hash.digest('hex');
  return checkerIdentity;
}

function entryKey(checker: string, expr: string, columns: readonly string[] | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([checker, expr, columns ?? null]))
    .digest('hex');
}

/** Entries of a cache file written by the same checker; [] for a missing, foreign or corrupt file. */
function readEntries(file: string, checker: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const doc = parsed as { format?: unknown; checker?: unknown; passed?: unknown };
  if (doc.format !== FORMAT || doc.checker !== checker || !Array.isArray(doc.passed)) return [];
  return doc.passed.every((e) => typeof e === 'string' && ENTRY.test(e)) ? (doc.passed as string[]) : [];
}

const NO_CACHE: ExpressionCache = { passed: () => false, remember: () => {}, save: () => {} };

/** Opens the cache in `dir` (see expressionCacheDir); a cache that cannot be used remembers nothing. */
export function openExpressionCache(dir: string | undefined): ExpressionCache {
  if (dir === undefined) return NO_CACHE;
  let checker: string;
  try {
    checker = expressionCheckerId();
  } catch {
    return NO_CACHE;
  }
  const file = join(dir, FILE_NAME);
  const known = new Set(readEntries(file, checker));
  const added: string[] = [];
  return {
    passed: (expr, columns) => known.has(entryKey(checker, expr, columns)),
    remember: (expr, columns) => {
      const key = entryKey(checker, expr, columns);
      if (known.has(key)) return;
      known.add(key);
      added.push(key);
    },
    save: () => {
      if (added.length === 0) return;
      // Re-read: another process may have added entries since; newest last, oldest dropped.
      const merged = new Set(readEntries(file, checker));
      for (const key of added) {
        merged.delete(key);
        merged.add(key);
      }
      const passed = [...merged].slice(-MAX_ENTRIES);
      const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, checker, passed })}\n`);
        renameSync(tmp, file);
        added.length = 0;
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}
