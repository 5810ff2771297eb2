import { afterAll, describe, expect, it } from 'vitest';
import {
  checkExpression,
  checkExpressions,
  closeExpressionChecker,
  MAX_EXPRESSION_LENGTH,
  openEngine,
} from '../../src/engine/index.js';

const COLUMNS = ['first_name', 'last_name', 'email', 'price', 'qty', 'ts', 'country', 'tags', 'Mixed Case'];

afterAll(() => closeExpressionChecker());

const messages = async (expr: string, ...columns: [readonly string[] | undefined] | []) =>
  (await checkExpression(expr, columns.length === 0 ? COLUMNS : columns[0])).map((p) => p.message);

describe('checkExpression accepts row-level expressions', () => {
  it.each([
    "first_name || ' ' || last_name",
    'concat(first_name, last_name)',
    'lower(trim(email))',
    "regexp_replace(email, '@.*$', '')",
    "regexp_matches(email, '^[a-z]+@')",
    "split_part(email, '@', 2)",
    "coalesce(nullif(country, ''), 'unknown')",
    'round(price * qty, 2)',
    'abs(price) + floor(qty) - ceil(price) / 2 % 3',
    'greatest(price, 0)',
    "strptime(ts, '%Y-%m-%d %H:%M:%S')",
    "strftime(ts::TIMESTAMP, '%Y%m%d')",
    "date_trunc('day', ts::TIMESTAMP)",
    'ts::TIMESTAMP + INTERVAL 1 DAY',
    "ts::TIMESTAMPTZ AT TIME ZONE 'Europe/Paris'",
    'epoch_ms(ts::TIMESTAMP)',
    'make_date(2024, 1, 31)',
    'EXTRACT(year FROM ts::DATE)',
    'CAST(price AS DECIMAL(10, 2))',
    'TRY_CAST(qty AS INTEGER)',
    "CASE WHEN price > 100 THEN 'high' WHEN price > 10 THEN 'mid' ELSE 'low' END",
    "CASE country WHEN 'FR' THEN 'France' END",
    "IF(qty > 0, 'yes', 'no')",
    'price BETWEEN 1 AND 10 AND NOT qty IS NULL',
    "country IN ('FR', 'DE')",
    "email LIKE '%@example.com' OR email NOT ILIKE 'x%' OR email GLOB '*.org'",
    "email SIMILAR TO '.*@.*'",
    "country COLLATE nocase = 'fr'",
    'md5(email)',
    'sha256(lower(email))',
    'hash(email)',
    "starts_with(email, 'a') AND ends_with(email, 'z') AND contains(email, '@')",
    "lpad(qty::VARCHAR, 5, '0') || rpad(left(first_name, 1), 2, '.') || right(last_name, 1)",
    "tags ->> '$.plan'",
    "json_extract_string(tags, '$.plan')",
    "'héllo wörld 😀' || first_name",
    '"Mixed Case"',
    'FIRST_NAME',
    "E'it\\'s'",
    '$$dollar -- quoted$$',
    "'semi;colon -- not a comment'",
    'NULL',
    'TRUE',
    '[1, 2, 3]',
    'ARRAY[1, 2]',
    "tags['plan']",
    `lower(\n  first_name\n)`,
  ])('%s', async (expr) => {
    expect(await checkExpression(expr, COLUMNS)).toEqual([]);
  });

  it('accepts any single column name when the columns are not known yet', async () => {
    expect(await checkExpression('lower(whatever) || other', undefined)).toEqual([]);
    expect(await messages('current_date', undefined)).toEqual([
      'expressions cannot call current_date: its result changes from run to run',
    ]);
    // A real source column of that name is a column, not the clock.
    expect(await checkExpression('current_date', ['current_date'])).toEqual([]);
    expect(await messages('lower(x) FROM t', undefined)).toEqual(['expressions cannot have a FROM clause']);
  });
});

describe('checkExpression rejects', () => {
  it.each([
    // reading files or tables
    [
      "1 FROM read_csv('/etc/passwd')",
      'expressions cannot call read_csv: file and table functions are not allowed',
    ],
    ["read_csv('/etc/passwd')", 'expressions cannot call read_csv: file and table functions are not allowed'],
    [
      "read_text('/etc/passwd')",
      'expressions cannot call read_text: file and table functions are not allowed',
    ],
    [
      "read_blob('/etc/passwd')",
      'expressions cannot call read_blob: file and table functions are not allowed',
    ],
    ["glob('/*')", 'expressions cannot call glob: file and table functions are not allowed'],
    ["query('SELECT 1')", 'expressions cannot call query: file and table functions are not allowed'],
    ["query_table('t')", 'expressions cannot call query_table: file and table functions are not allowed'],
    ['email FROM users', 'expressions cannot have a FROM clause'],
    // subqueries
    ['(SELECT 1)', 'expressions cannot contain subqueries'],
    ['EXISTS (SELECT 1)', 'expressions cannot contain subqueries'],
    ['NOT EXISTS (SELECT 1)', 'expressions cannot contain subqueries'],
    ['email IN (SELECT email FROM users)', 'expressions cannot contain subqueries'],
    ['price = ANY (SELECT 1)', 'expressions cannot contain subqueries'],
    ['1 UNION SELECT 2', 'expressions cannot contain UNION, EXCEPT or INTERSECT'],
    // several statements, comments
    ['email; DROP TABLE users', 'expressions must be a single expression, not several statements'],
    ['email; SELECT 2', 'expressions must be a single expression, not several statements'],
    ['email;', 'expressions must be a single expression, not several statements'],
    ['email -- comment', 'expressions cannot contain comments'],
    ['lower(email) -- )', 'expressions cannot contain comments'],
    ['email /* comment */', 'expressions cannot contain comments'],
    // DuckDB accepts a trailing comma in a select list, but "(email,)" is not "email"
    ['email,', 'expression is not self-contained: it means something else inside parentheses'],
    // environment, settings, clock, randomness
    ["getenv('HOME')", 'expressions cannot call getenv: it reads the system, not the row'],
    [
      "current_setting('allowed_directories')",
      'expressions cannot call current_setting: it reads the system, not the row',
    ],
    ['now()', 'expressions cannot call now: its result changes from run to run'],
    ['random()', 'expressions cannot call random: its result changes from run to run'],
    ['uuid()', 'expressions cannot call uuid: its result changes from run to run'],
    ["nextval('s')", 'expressions cannot call nextval: its result changes from run to run'],
    ['current_date', 'expressions cannot call current_date: its result changes from run to run'],
    ['"CURRENT_TIMESTAMP"', 'expressions cannot call current_timestamp: its result changes from run to run'],
    ['current_user', 'expressions cannot call current_user: it reads the system, not the row'],
    // aggregates, windows
    ['sum(price)', 'expressions cannot call sum: aggregate functions are not allowed'],
    ['count(*)', 'expressions cannot call count_star: aggregate functions are not allowed'],
    ['row_number() OVER ()', 'expressions cannot call row_number: window functions are not allowed'],
    [
      'sum(price) OVER (PARTITION BY country)',
      'expressions cannot call sum: window functions are not allowed',
    ],
    ['row_number()', 'expressions cannot call row_number: window functions are not allowed'],
    // clauses and shapes
    ['email WHERE price > 1', 'expressions cannot have a WHERE clause'],
    ['country GROUP BY country', 'expressions cannot have a GROUP BY clause'],
    ['email ORDER BY 1', 'expressions cannot use ORDER BY'],
    ['email LIMIT 1', 'expressions cannot use LIMIT'],
    ['DISTINCT email', 'expressions cannot use DISTINCT'],
    ['email USING SAMPLE 1', 'expressions cannot have a USING SAMPLE clause'],
    ['first_name, last_name', 'an expression must compute exactly one value, not 2'],
    ['email AS mail', 'expressions cannot contain aliases or named arguments ("mail")'],
    ['*', 'expressions cannot use * or COLUMNS(...)'],
    ["COLUMNS('e.*')", 'expressions cannot use * or COLUMNS(...)'],
    ['$1', 'expressions cannot contain parameters ($1 or ?)'],
    ['?', 'expressions cannot contain parameters ($1 or ?)'],
    ['#1', 'expressions cannot use positional references (#1)'],
    [
      "list_transform(tags, t -> t || 'x')",
      'expressions cannot call list_transform: it is not one of the allowed functions',
    ],
    ['users.email', 'column references must be a single name, not "users.email"'],
    ['system.main.lower(email)', 'functions cannot be qualified or chained ("system.main.lower(...)")'],
    ['email.lower()', 'functions cannot be qualified or chained ("email.lower(...)")'],
    // columns and functions that do not exist
    ['frist_name', 'unknown column "frist_name"'],
    ['lowr(email)', 'unknown function "lowr"'],
    // text problems
    ['', 'expression is empty'],
    ['   ', 'expression is empty'],
    ['a\0b', 'expressions cannot contain NUL characters'],
  ])('%s', async (expr, message) => {
    expect(await messages(expr)).toContain(message);
  });

  it('gives a did-you-mean hint and the offset for an unknown column', async () => {
    expect(await checkExpression("first_name || ' ' || frist_name", COLUMNS)).toEqual([
      { message: 'unknown column "frist_name"', hint: 'did you mean "first_name"?', offset: 21 },
    ]);
    const [far] = await checkExpression('zzzzzz', ['a', 'b']);
    expect(far?.hint).toBe('the source columns are: a, b');
    const [none] = await checkExpression('zzzzzz', []);
    expect(none?.hint).toBe('the source has no columns');
  });

  it('counts offsets as JavaScript string indexes, after non-ASCII text', async () => {
    expect(await checkExpression("'😀 héllo' || nope", COLUMNS)).toMatchObject([
      { message: 'unknown column "nope"', offset: 14 },
    ]);
  });

  it("reports DuckDB's parse error with an offset", async () => {
    const [problem] = await checkExpression('price +', COLUMNS);
    expect(problem).toEqual({
      message: 'cannot parse expression: syntax error at end of input',
      hint: expect.stringContaining('DuckDB SQL expression'),
      offset: 7,
    });
    expect(await messages('lower(email')).toEqual(['cannot parse expression: syntax error at end of input']);
    expect(await messages("'unterminated")).toEqual([
      expect.stringMatching(/^cannot parse expression: unterminated/),
    ]);
    expect(await messages("x) AS y FROM read_csv('/etc/passwd') --")).toEqual([
      'expressions cannot contain comments',
    ]);
    expect(await messages("x) AS y FROM read_csv('/etc/passwd')")).toEqual([
      expect.stringMatching(/^cannot parse expression: syntax error at or near "\)"/),
    ]);
  });

  it('bounds very long and very deep input', async () => {
    expect(await messages(`'${'x'.repeat(MAX_EXPRESSION_LENGTH)}'`)).toEqual([
      `expression is too long (${MAX_EXPRESSION_LENGTH + 2} characters; the limit is ${MAX_EXPRESSION_LENGTH})`,
    ]);
    expect(await checkExpression(`'${'x'.repeat(MAX_EXPRESSION_LENGTH - 2)}'`, COLUMNS)).toEqual([]);
    expect(await checkExpression(`${'('.repeat(2000)}price${')'.repeat(2000)}`, COLUMNS)).toEqual([]);
    expect(await messages(Array(1500).fill('qty').join('+'))).toEqual([
      expect.stringMatching(/^cannot parse expression: Max expression depth/),
    ]);
  });
});

describe('checkExpressions', () => {
  it('checks many expressions in order with one parser', async () => {
    const results = await checkExpressions([
      { expr: 'lower(email)', columns: COLUMNS },
      { expr: 'sum(price)', columns: COLUMNS },
      { expr: '', columns: COLUMNS },
      { expr: 'email', columns: ['id'] },
    ]);
    expect(results.map((problems) => problems.map((p) => p.message))).toEqual([
      [],
      ['expressions cannot call sum: aggregate functions are not allowed'],
      ['expression is empty'],
      ['unknown column "email"'],
    ]);
    expect(await checkExpressions([])).toEqual([]);
  });

  it('passes expressions that evaluate as spliced by a SQL builder, and only reads the row', async () => {
    const engine = await openEngine({ database: ':memory:', allowedDirectories: [] });
    try {
      await engine.run(
        "CREATE TABLE src AS SELECT 'Ada' AS first_name, 'Lovelace' AS last_name, 'ADA@x.org ' AS email, 2.5 AS price, 4 AS qty, '2024-01-02 03:04:05' AS ts, '' AS country, '{\"plan\": \"pro\"}' AS tags, 1 AS \"Mixed Case\"",
      );
      const exprs = [
        "first_name || ' ' || last_name",
        'lower(trim(email))',
        "coalesce(nullif(country, ''), 'unknown')",
        'round(price * qty, 2)',
        "strftime(date_trunc('day', ts::TIMESTAMP) + INTERVAL 1 DAY, '%Y-%m-%d')",
        "tags ->> '$.plan'",
        "CASE WHEN price > 2 THEN 'high' ELSE 'low' END",
      ];
      for (const [expr, problems] of (
        await checkExpressions(exprs.map((expr) => ({ expr, columns: COLUMNS })))
      ).entries()) {
        expect(problems).toEqual([]);
        expect(exprs[expr]).toBeDefined();
      }
      const select = exprs.map((expr, i) => `(${expr}) AS c${i}`).join(', ');
      expect(await engine.all(`SELECT ${select} FROM src`)).toEqual([
        {
          c0: 'Ada Lovelace',
          c1: 'ada@x.org',
          c2: 'unknown',
          c3: '10.0',
          c4: '2024-01-03',
          c5: 'pro',
          c6: 'high',
        },
      ]);
    } finally {
      await engine.close();
    }
  });
});
