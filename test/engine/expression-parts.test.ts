import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../src/engine/closest-name.js';
import { ALLOWED_FUNCTIONS, ALLOWED_MACROS } from '../../src/engine/expression-functions.js';
import { offsetInExpression } from '../../src/engine/expression-problem.js';
import { scanExpressionText } from '../../src/engine/expression-scan.js';
import { openEngine } from '../../src/engine/index.js';

describe('ALLOWED_FUNCTIONS', () => {
  it('holds only deterministic scalar functions (or listed built-in macros) of the bundled DuckDB', async () => {
    const engine = await openEngine({ database: ':memory:', allowedDirectories: [] });
    try {
      const rows = await engine.all(
        `SELECT function_name AS name, list(DISTINCT function_type ORDER BY function_type) AS types,
           list(DISTINCT stability ORDER BY stability) FILTER (stability IS NOT NULL) AS stabilities
         FROM duckdb_functions() WHERE function_name IN (SELECT unnest($1::VARCHAR[])) GROUP BY ALL`,
        // Bound as one VARCHAR[] literal so no name is spliced into the SQL.
        [`[${[...ALLOWED_FUNCTIONS].map((f) => `"${f}"`).join(', ')}]`],
      );
      const found = new Map(rows.map((row) => [String(row.name), row]));
      const problems: string[] = [];
      for (const name of ALLOWED_FUNCTIONS) {
        const row = found.get(name);
        if (row === undefined) problems.push(`${name}: not a DuckDB function`);
        else if (ALLOWED_MACROS.has(name)) {
          if (JSON.stringify(row.types) !== '["macro"]')
            problems.push(`${name}: listed as a macro but is ${row.types}`);
        } else if (
          JSON.stringify(row.types) !== '["scalar"]' ||
          JSON.stringify(row.stabilities) !== '["CONSISTENT"]'
        ) {
          problems.push(`${name}: ${JSON.stringify(row.types)} ${JSON.stringify(row.stabilities)}`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('leaves out file, environment, clock and random functions', () => {
    for (const name of ['read_csv', 'read_text', 'read_blob', 'glob', 'getenv', 'current_setting', 'query']) {
      expect(ALLOWED_FUNCTIONS.has(name)).toBe(false);
    }
    for (const name of ['now', 'today', 'random', 'uuid', 'age', 'nextval', 'sum', 'row_number']) {
      expect(ALLOWED_FUNCTIONS.has(name)).toBe(false);
    }
  });
});

describe('scanExpressionText', () => {
  const scan = (expr: string) => scanExpressionText(expr).map((p) => [p.message, p.offset]);

  it('finds comments and semicolons outside quotes, with offsets', () => {
    expect(scan('a -- c')).toEqual([['expressions cannot contain comments', 2]]);
    expect(scan('a /* c */')).toEqual([['expressions cannot contain comments', 2]]);
    expect(scan('a; b')).toEqual([['expressions must be a single expression, not several statements', 1]]);
    expect(scan('a;--')).toHaveLength(2);
  });

  it('ignores them inside strings, quoted identifiers and dollar quotes', () => {
    for (const expr of [
      "'a -- b; c'",
      "'it''s -- fine'",
      '"col -- umn;"',
      '"a""--"',
      "E'\\' -- '",
      "e'\\\\'",
      '$$ -- ; $$',
      '$tag$ /* $$ */ $tag$',
      'a$b',
      "x'ff'",
    ]) {
      expect(scan(expr), expr).toEqual([]);
    }
  });

  it('does not mistake an identifier ending in e for an escape string prefix', () => {
    expect(scan("name'\\' -- '")).toEqual([['expressions cannot contain comments', 8]]);
  });

  it('treats $1 as a parameter, not a dollar quote', () => {
    expect(scan('$1 -- x')).toEqual([['expressions cannot contain comments', 3]]);
  });
});

describe('offsetInExpression', () => {
  it('converts UTF-8 byte positions after the prefix to string indexes', () => {
    expect(offsetInExpression('abc', 7, 7)).toBe(0);
    expect(offsetInExpression('abc', '9', 7)).toBe(2);
    expect(offsetInExpression('é😀x', 7 + 2 + 4, 7)).toBe(3);
    expect(offsetInExpression('abc', 2 ** 64 - 1, 7)).toBeUndefined();
    expect(offsetInExpression('abc', 3, 7)).toBeUndefined();
    expect(offsetInExpression('abc', undefined, 7)).toBeUndefined();
  });
});

describe('closestName', () => {
  it('suggests near misses, case-insensitively, and nothing for far ones', () => {
    expect(closestName('frist_name', ['email', 'first_name', 'last_name'])).toBe('first_name');
    expect(closestName('EMAIL', ['email'])).toBe('email');
    expect(closestName('zzz', ['email'])).toBeUndefined();
    expect(closestName('a', [])).toBeUndefined();
  });

  it('counts an adjacent swap once', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
