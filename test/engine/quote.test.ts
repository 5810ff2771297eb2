import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutflowError } from '../../src/diagnostics/errors.js';
import { type Engine, openEngine, quoteIdent, quoteLiteral } from '../../src/engine/index.js';

describe('quoteIdent', () => {
  it('double-quotes and doubles inner double quotes', () => {
    expect(quoteIdent('users')).toBe('"users"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(quoteIdent('a b;--')).toBe('"a b;--"');
    expect(quoteIdent("it's")).toBe('"it\'s"');
  });

  it('rejects empty names and NUL characters', () => {
    expect(() => quoteIdent('')).toThrow(OutflowError);
    expect(() => quoteIdent('a\0b')).toThrow(/NUL/);
  });
});

describe('quoteLiteral', () => {
  it('single-quotes and doubles inner single quotes, leaving backslashes alone', () => {
    expect(quoteLiteral('plain')).toBe("'plain'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('back\\slash')).toBe("'back\\slash'");
    expect(quoteLiteral('')).toBe("''");
  });

  it('rejects NUL characters', () => {
    expect(() => quoteLiteral('a\0b')).toThrow(/NUL/);
  });
});

describe('quoted SQL in DuckDB', () => {
  let root: string;
  let engine: Engine;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "outflow-quote-it's-"));
    engine = await openEngine({ database: ':memory:', allowedDirectories: [root] });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(root, { recursive: true, force: true });
  });

  const awkward = ['we"ird', "it's", 'a b', 'semi;colon -- dash', 'ünïcødé 😀', 'back\\slash', '"', "'"];

  it('round-trips identifiers as table and column names', async () => {
    for (const name of awkward) {
      const table = quoteIdent(`t_${name}`);
      await engine.run(`CREATE TABLE ${table} (${quoteIdent(name)} INTEGER)`);
      await engine.run(`INSERT INTO ${table} VALUES (1)`);
      const rows = await engine.all(`SELECT ${quoteIdent(name)} FROM ${table}`);
      expect(rows).toEqual([{ [name]: 1 }]);
    }
  });

  it('round-trips literals', async () => {
    for (const value of [...awkward, '', '\\x00', "''", "'); DROP TABLE x; --"]) {
      const [row] = await engine.all(`SELECT ${quoteLiteral(value)} AS v`);
      expect(row?.v).toBe(value);
    }
  });

  it('quotes COPY target paths, which DuckDB cannot bind as parameters', async () => {
    const target = path.join(root, 'out \'quoted\' "file".csv');
    await engine.run(`COPY (SELECT 1 AS n) TO ${quoteLiteral(target)} (FORMAT csv)`);
    expect(readFileSync(target, 'utf8')).toBe('n\n1\n');
  });
});
