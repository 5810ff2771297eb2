import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeExpressionChecker } from '../../src/engine/index.js';
import {
  expressionCacheDir,
  expressionCheckerId,
  openExpressionCache,
} from '../../src/project/expression-cache.js';
import { checkModelExpressions } from '../../src/project/expressions.js';
import { loadProject } from '../../src/project/load.js';

// Counts the calls that reach DuckDB's parser, so a test can tell a cache hit from a check.
const engineCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/engine/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/engine/index.js')>();
  return {
    ...actual,
    checkExpressions: (...args: Parameters<typeof actual.checkExpressions>) => {
      engineCalls.count++;
      return actual.checkExpressions(...args);
    },
  };
});

const temp = mkdtempSync(join(tmpdir(), 'outflow-expr-cache-'));
afterAll(async () => {
  await closeExpressionChecker();
  rmSync(temp, { recursive: true, force: true });
});
beforeEach(() => {
  engineCalls.count = 0;
});

let n = 0;
function project(columns: string): string {
  const dir = join(temp, `p${n++}`);
  mkdirSync(join(dir, 'flows'), { recursive: true });
  writeFileSync(join(dir, 'outflow.yaml'), 'kind: Project\nname: fixture\n');
  writeFileSync(
    join(dir, 'flows', 'case.yaml'),
    `kind: Dataflow\nname: users\nentity: user\nsource: {type: streamFile, path: data/u/*.csv}\nschema:\n  name: users\n  columns:\n    - {name: id, type: integer}\n${columns}`,
  );
  return dir;
}

async function check(dir: string, cacheDir: string | undefined) {
  const { model } = await loadProject(dir, { env: {}, checkExpressions: false });
  return checkModelExpressions(model, cacheDir);
}

describe('expression-check cache', () => {
  it('a passed expression is not checked again by DuckDB; the answer is the same', async () => {
    const cacheDir = join(temp, 'cache-pass');
    const dir = project(
      `    - {name: email, type: string}\n    - {name: domain, type: string, expr: "lower(split_part(email, '@', 2))"}\n`,
    );
    expect(await check(dir, cacheDir)).toEqual([]);
    expect(engineCalls.count).toBe(1);
    expect(await check(dir, cacheDir)).toEqual([]);
    expect(engineCalls.count).toBe(1);
    const file = JSON.parse(readFileSync(join(cacheDir, 'expression-checks.json'), 'utf8'));
    expect(file).toMatchObject({ format: 1, checker: expressionCheckerId() });
    expect(file.passed).toHaveLength(1);
  });

  it('never remembers an expression with a problem: it is checked, and reported, every time', async () => {
    const cacheDir = join(temp, 'cache-fail');
    const dir = project(`    - {name: n, type: integer, expr: "(SELECT count(*) FROM duckdb_settings())"}\n`);
    const first = await check(dir, cacheDir);
    expect(first.map((d) => d.code)).toEqual(['invalid-expression']);
    const second = await check(dir, cacheDir);
    expect(second).toEqual(first);
    expect(engineCalls.count).toBe(2);
    expect(() => readFileSync(join(cacheDir, 'expression-checks.json'))).toThrow();
  });

  it('a changed expression is checked again, next to remembered ones', async () => {
    const cacheDir = join(temp, 'cache-change');
    const ok = '    - {name: a, type: string, expr: "upper(x)"}\n';
    await check(project(ok), cacheDir);
    engineCalls.count = 0;
    const bad = await check(
      project(`${ok}    - {name: b, type: string, expr: "read_text('/etc/passwd')"}\n`),
      cacheDir,
    );
    expect(bad.map((d) => d.code)).toEqual(['invalid-expression']);
    expect(engineCalls.count).toBe(1);
  });

  it('an entry counts only for the same text, columns and checker', () => {
    const dir = join(temp, 'cache-keys');
    const cache = openExpressionCache(dir);
    cache.remember('upper(x)', undefined);
    cache.remember('lower(y)', ['y']);
    cache.save();
    const again = openExpressionCache(dir);
    expect(again.passed('upper(x)', undefined)).toBe(true);
    expect(again.passed('upper(x) ', undefined)).toBe(false);
    expect(again.passed('upper(x)', ['x'])).toBe(false);
    expect(again.passed('lower(y)', ['y'])).toBe(true);
    expect(again.passed('lower(y)', undefined)).toBe(false);

    // The same entries written by another checker (another outflow, DuckDB or checker code) count for nothing.
    const file = join(dir, 'expression-checks.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...doc, checker: 'f'.repeat(64) }));
    expect(openExpressionCache(dir).passed('upper(x)', undefined)).toBe(false);
  });

  it('a corrupt or foreign cache file is ignored, and replaced on the next write', async () => {
    const cacheDir = join(temp, 'cache-corrupt');
    mkdirSync(cacheDir, { recursive: true });
    const file = join(cacheDir, 'expression-checks.json');
    const dir = project('    - {name: a, type: string, expr: "upper(x)"}\n');
    for (const text of [
      '{not json',
      'null',
      JSON.stringify({ format: 2, checker: expressionCheckerId(), passed: [] }),
      JSON.stringify({ format: 1, checker: expressionCheckerId(), passed: ['not-a-hash', 7] }),
    ]) {
      writeFileSync(file, text);
      engineCalls.count = 0;
      expect(await check(dir, cacheDir)).toEqual([]);
      expect(engineCalls.count).toBe(1);
      expect(JSON.parse(readFileSync(file, 'utf8')).passed).toHaveLength(1);
    }
  });

  it('without a cache folder every expression is checked', async () => {
    const dir = project('    - {name: a, type: string, expr: "upper(x)"}\n');
    await check(dir, undefined);
    await check(dir, undefined);
    expect(engineCalls.count).toBe(2);
  });

  it('lives in OUTFLOW_CACHE_DIR, else XDG_CACHE_HOME/outflow, else ~/.cache/outflow; off turns it off', () => {
    expect(expressionCacheDir({ OUTFLOW_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(expressionCacheDir({ OUTFLOW_CACHE_DIR: 'off' })).toBeUndefined();
    expect(expressionCacheDir({ OUTFLOW_CACHE_DIR: '' })).toBeUndefined();
    expect(expressionCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'outflow'));
    expect(expressionCacheDir({})).toMatch(/[/\\]\.cache[/\\]outflow$/);
  });
});
