import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userCacheDir } from '../../src/config/cache-dir.js';
import { openParseCache } from '../../src/config/parse-cache.js';
import { fastValues } from '../../src/config/yaml-document.js';

const temp = mkdtempSync(join(tmpdir(), 'outflow-parse-cache-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const TEXT =
  'kind: Project\nname: p\n---\nkind: Connection\nname: out\ntype: local\nroot: out\nlabels: {a: 1}\n';
let n = 0;
const fresh = () => join(temp, `c${n++}`);

describe('parse cache', () => {
  it('gives back exactly the values the fast path read, after a save', () => {
    const dir = fresh();
    const values = fastValues({ path: 'flows/a.yaml', text: TEXT })!;
    const cache = openParseCache(dir, '/project');
    expect(cache.get(TEXT)).toBeUndefined();
    cache.put(TEXT, values);
    cache.save(10);
    const again = openParseCache(dir, '/project');
    expect(again.get(TEXT)).toEqual({ values });
    expect(again.get(`${TEXT}# edited\n`)).toBeUndefined();
    // Another project folder has a file of its own.
    expect(openParseCache(dir, '/other').get(TEXT)).toBeUndefined();
  });

  it('does not remember values JSON would change (.inf, .nan, -0)', () => {
    const dir = fresh();
    for (const text of ['kind: X\nv: .inf\n', 'kind: X\nv: .nan\n', 'kind: X\nv: -0.0\n']) {
      const cache = openParseCache(dir, '/project');
      cache.put(text, fastValues({ path: 'a.yaml', text })!);
      cache.save(10);
      expect(openParseCache(dir, '/project').get(text)).toBeUndefined();
    }
  });

  it("keeps this load's files, then the most recent earlier ones up to `keep` entries", () => {
    const dir = fresh();
    const first = openParseCache(dir, '/project');
    first.put('kind: A\n', [{ kind: 'A' }]);
    first.put('kind: B\n', [{ kind: 'B' }]);
    first.save(4);
    // A load that read A from the cache and parsed C, with room for two: B goes.
    const second = openParseCache(dir, '/project');
    expect(second.get('kind: A\n')?.values).toEqual([{ kind: 'A' }]);
    second.put('kind: C\n', [{ kind: 'C' }]);
    second.save(2);
    const third = openParseCache(dir, '/project');
    expect(third.get('kind: A\n')?.values).toEqual([{ kind: 'A' }]);
    expect(third.get('kind: B\n')).toBeUndefined();
    expect(third.get('kind: C\n')?.values).toEqual([{ kind: 'C' }]);
    // Watch mode parses only the changed file (D): with room, the others stay.
    const watch = openParseCache(dir, '/project');
    watch.put('kind: D\n', [{ kind: 'D' }]);
    watch.save(4);
    const after = openParseCache(dir, '/project');
    for (const k of ['A', 'C', 'D']) expect(after.get(`kind: ${k}\n`)?.values).toEqual([{ kind: k }]);
  });

  it('ignores a corrupt or foreign file, and replaces it on the next write', () => {
    const dir = fresh();
    const seed = openParseCache(dir, '/project');
    seed.put(TEXT, fastValues({ path: 'a.yaml', text: TEXT })!);
    seed.save(10);
    const file = join(dir, 'parsed', readdirSync(join(dir, 'parsed'))[0]!);
    const good = JSON.parse(readFileSync(file, 'utf8'));
    for (const text of [
      '{broken',
      'null',
      JSON.stringify({ ...good, parser: 'x' }),
      JSON.stringify({ ...good, format: 1 }),
      JSON.stringify({ ...good, files: [] }),
      JSON.stringify({ ...good, files: Object.fromEntries(Object.keys(good.files).map((k) => [k, 'text'])) }),
      JSON.stringify({
        ...good,
        files: Object.fromEntries(Object.keys(good.files).map((k) => [k, { values: [{}], validBy: 'yes' }])),
      }),
    ]) {
      writeFileSync(file, text);
      const cache = openParseCache(dir, '/project');
      expect(cache.get(TEXT)).toBeUndefined();
      cache.put(TEXT, fastValues({ path: 'a.yaml', text: TEXT })!);
      cache.save(10);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(good);
    }
  });

  it("remembers which validators passed a file's documents, and only for a remembered file", () => {
    const dir = fresh();
    const id = 'a'.repeat(64);
    const cache = openParseCache(dir, '/project');
    cache.markValid(TEXT, id); // not remembered yet: nothing to mark
    cache.put(TEXT, [{ kind: 'Project', name: 'p' }]);
    cache.markValid(TEXT, id);
    cache.save(10);
    expect(openParseCache(dir, '/project').get(TEXT)).toEqual({
      values: [{ kind: 'Project', name: 'p' }],
      validBy: id,
    });
    const unmarked = openParseCache(fresh(), '/project');
    unmarked.markValid(TEXT, id);
    unmarked.save(10);
    expect(unmarked.get(TEXT)).toBeUndefined();
  });

  it('without a folder remembers nothing', () => {
    const cache = openParseCache(undefined, '/project');
    cache.put(TEXT, [{ kind: 'Project' }]);
    cache.save(10);
    expect(cache.get(TEXT)).toBeUndefined();
  });

  it('lives in OUTFLOW_CACHE_DIR, else XDG_CACHE_HOME/outflow, else ~/.cache/outflow; off turns it off', () => {
    expect(userCacheDir({ OUTFLOW_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(userCacheDir({ OUTFLOW_CACHE_DIR: 'off' })).toBeUndefined();
    expect(userCacheDir({ OUTFLOW_CACHE_DIR: '' })).toBeUndefined();
    expect(userCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'outflow'));
    expect(userCacheDir({})).toMatch(/[/\\]\.cache[/\\]outflow$/);
  });
});
