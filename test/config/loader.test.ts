import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProjectRoot, parseConfigFile, readSourceFile } from '../../src/config/index.js';

function tempProject(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-loader-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe('config loader', () => {
  it('reads YAML 1.2: NO, yes and on stay strings', () => {
    const { documents, diagnostics } = parseConfigFile({
      path: 'f.yaml',
      text: 'a: NO\nb: yes\nc: on\nd: true\n',
    });
    expect(diagnostics).toEqual([]);
    expect(documents[0]!.value).toEqual({ a: 'NO', b: 'yes', c: 'on', d: true });
  });

  it('splits multi-document files and keeps positions per document', () => {
    const text = 'kind: A\nname: a\n---\nkind: B\nname: b\nnested:\n  key: v\n';
    const { documents } = parseConfigFile({ path: 'f.yaml', text });
    expect(documents).toHaveLength(2);
    expect(documents[1]!.locate(['nested', 'key'])).toMatchObject({ line: 7, column: 8, source: '  key: v' });
    expect(documents[1]!.locate(['nested', 'key'], { key: true })).toMatchObject({ line: 7, column: 3 });
    // A missing path points at the deepest part that exists.
    expect(documents[1]!.locate(['nested', 'missing'])).toMatchObject({ line: 6 });
  });

  it('refuses files over the size cap without parsing them', async () => {
    const dir = tempProject({ 'flows/huge.yaml': `labels:\n${'  k: v\n'.repeat(400_000)}` });
    const { file, diagnostics } = await readSourceFile(dir, 'flows/huge.yaml');
    expect(file).toBeUndefined();
    expect(diagnostics[0]).toMatchObject({ code: 'file-too-large', file: 'flows/huge.yaml', line: 1 });
  });

  it('reports the position of the first byte that is not UTF-8', async () => {
    const dir = tempProject({
      'a.yaml': Buffer.from([0x61, 0x3a, 0x20, 0x0a, 0x62, 0x3a, 0x20, 0xff, 0x0a]),
    });
    const { diagnostics } = await readSourceFile(dir, 'a.yaml');
    expect(diagnostics[0]).toMatchObject({ code: 'not-utf8', line: 2, column: 4 });
  });

  it('finds outflow.yaml by walking up, and explains when there is none', () => {
    const dir = tempProject({ 'outflow.yaml': 'kind: Project\nname: p\n', 'flows/deep/x.yaml': '' });
    expect(findProjectRoot(join(dir, 'flows', 'deep'))).toBe(dir);
    const empty = mkdtempSync(join(tmpdir(), 'outflow-none-'));
    expect(() => findProjectRoot(empty)).toThrow(/no outflow.yaml found/);
  });
});

describe('fast and careful YAML paths agree', () => {
  it('gives the same documents for every fixture and example file', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { parseCareful } = await import('../../src/config/yaml-document.js');
    const roots = [
      join(import.meta.dirname, '..', 'fixtures'),
      join(import.meta.dirname, '..', '..', 'examples'),
      join(import.meta.dirname, '..', '..', 'flows'),
    ];
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e)) files.push(p);
      }
    };
    roots.forEach(walk);
    expect(files.length).toBeGreaterThan(50);
    let fastUsed = 0;
    for (const path of files) {
      const text = readFileSync(path).toString('utf8');
      const file = { path, text };
      const fast = parseConfigFile(file);
      const careful = parseCareful(file);
      expect(fast.diagnostics, path).toEqual(careful.diagnostics);
      expect(
        fast.documents.map((d) => [d.index, d.value]),
        path,
      ).toEqual(careful.documents.map((d) => [d.index, d.value]));
      if (fast.documents.some((d, i) => d.locate !== careful.documents[i]?.locate)) fastUsed++;
    }
    expect(fastUsed).toBeGreaterThan(30);
  });
});
