import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutflowError } from '../../src/diagnostics/errors.js';
import { type Engine, openEngine, quoteLiteral } from '../../src/engine/index.js';

let root: string;
let data: string;
let staging: string;
let outside: string;
const open: Engine[] = [];

async function engineFor(database: string, extra: Partial<Parameters<typeof openEngine>[0]> = {}) {
  const engine = await openEngine({ database, allowedDirectories: [data, staging], ...extra });
  open.push(engine);
  return engine;
}

beforeAll(() => {
  // Resolved, so expectations hold where the temp folder is a symlink (macOS /var).
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'outflow-engine-')));
  data = path.join(root, 'data');
  staging = path.join(root, '.outflow', 'staging');
  outside = path.join(root, 'outside');
  mkdirSync(data);
  mkdirSync(outside);
  writeFileSync(path.join(data, 'users.csv'), 'id,email\n1,a@example.com\n2,b@example.com\n');
  writeFileSync(path.join(outside, 'secret.csv'), 'token\nhunter2\n');
  symlinkSync(path.join(outside, 'secret.csv'), path.join(data, 'link-out.csv'));
  // A sibling whose name extends an allowed one: must not be allowed by prefix.
  mkdirSync(path.join(root, 'data2'));
  writeFileSync(path.join(root, 'data2', 'x.csv'), 'a\n1\n');
});
afterEach(async () => {
  for (const engine of open.splice(0)) await engine.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const denied = (promise: Promise<unknown>) =>
  expect(promise).rejects.toMatchObject({ code: 'engine_access_denied' });

describe.each([
  ['in memory', () => ':memory:'],
  ['file-backed', () => path.join(root, '.outflow', `warehouse-${open.length}.duckdb`)],
])('a locked-down engine (%s)', (_label, database) => {
  it('reads CSV inside an allowed directory', async () => {
    const engine = await engineFor(database());
    const rows = await engine.all('SELECT * FROM read_csv($1) ORDER BY id', [path.join(data, 'users.csv')]);
    expect(rows).toEqual([
      { id: 1, email: 'a@example.com' },
      { id: 2, email: 'b@example.com' },
    ]);
  });

  it('refuses files outside the allowed directories', async () => {
    const engine = await engineFor(database());
    await denied(engine.all("SELECT * FROM read_csv('/etc/passwd')"));
    await denied(engine.all('SELECT * FROM read_text($1)', [path.join(outside, 'secret.csv')]));
    await denied(engine.all('SELECT * FROM read_csv($1)', [path.join(root, 'data2', 'x.csv')]));
    await denied(engine.all('SELECT * FROM read_csv($1)', [path.join(data, '..', 'outside', 'secret.csv')]));
    await denied(engine.all('SELECT * FROM read_csv($1)', [path.join(data, 'link-out.csv')]));
    await denied(engine.all('SELECT * FROM glob($1)', [`${root}/*`]));
    await denied(engine.all("SELECT * FROM read_csv('https://example.com/x.csv')"));
  });

  it('writes with COPY inside an allowed directory only', async () => {
    const engine = await engineFor(database());
    mkdirSync(staging, { recursive: true });
    const inside = path.join(staging, `x-${open.length}.csv`);
    await expect(engine.run(`COPY (SELECT 1 AS n) TO ${quoteLiteral(inside)}`)).resolves.toEqual({
      rowsChanged: 1,
    });
    expect(readFileSync(inside, 'utf8')).toBe('n\n1\n');
    const escaped = path.join(outside, 'x.csv');
    await denied(engine.run(`COPY (SELECT 1 AS n) TO ${quoteLiteral(escaped)}`));
    await denied(engine.run(`COPY (SELECT 1 AS n) TO ${quoteLiteral(path.join(root, 'x.csv'))}`));
    expect(existsSync(escaped)).toBe(false);
  });

  it('cannot be unlocked, attach other files, or load extensions', async () => {
    const engine = await engineFor(database());
    const locked = expect.objectContaining({
      message: expect.stringMatching(/configuration has been locked/),
    });
    await expect(engine.run('SET enable_external_access = true')).rejects.toEqual(locked);
    await expect(engine.run("SET allowed_directories = ['/']")).rejects.toEqual(locked);
    await expect(engine.run('RESET lock_configuration')).rejects.toEqual(locked);
    await expect(engine.run("SET temp_directory = '/tmp'")).rejects.toEqual(locked);
    await denied(engine.run(`ATTACH ${quoteLiteral(path.join(outside, 'other.duckdb'))} AS other`));
    expect(existsSync(path.join(outside, 'other.duckdb'))).toBe(false);
    await expect(engine.run('INSTALL httpfs')).rejects.toBeInstanceOf(OutflowError);
    await expect(engine.run('LOAD httpfs')).rejects.toBeInstanceOf(OutflowError);
    await denied(engine.run(`EXPORT DATABASE ${quoteLiteral(outside)}`));
  });

  it('applies memory, threads and time zone settings', async () => {
    const engine = await engineFor(database(), { memoryLimit: '256MB', threads: 2 });
    const [settings] = await engine.all(
      "SELECT current_setting('threads') AS threads, current_setting('TimeZone') AS tz, current_setting('memory_limit') AS mem",
    );
    expect(settings).toEqual({ threads: 2, tz: 'UTC', mem: '244.1 MiB' });
  });
});

describe('openEngine', () => {
  it('keeps a file-backed warehouse across reopen, and opens it read-only', async () => {
    const warehouse = path.join(root, 'project', '.outflow', 'warehouse.duckdb');
    const first = await engineFor(warehouse);
    await first.run('CREATE TABLE users AS SELECT * FROM read_csv($1)', [path.join(data, 'users.csv')]);
    await first.close();
    expect(existsSync(warehouse)).toBe(true);

    const reader = await engineFor(warehouse, { readOnly: true });
    expect(await reader.all('SELECT count(*) AS n FROM users')).toEqual([{ n: 2 }]);
    await expect(reader.run('DROP TABLE users')).rejects.toMatchObject({ code: 'engine_query_failed' });
  });

  it('normalises allowed directories: trailing slash, symlinks resolved, not yet existing ones kept', async () => {
    const alias = path.join(root, 'alias');
    symlinkSync(root, alias);
    const later = path.join(alias, 'created-later');
    const engine = await engineFor(':memory:', { allowedDirectories: [path.join(alias, 'data'), later] });
    const [row] = await engine.all("SELECT current_setting('allowed_directories') AS dirs");
    expect([...((row?.dirs ?? []) as string[])].sort()).toEqual([
      `${path.join(root, 'created-later')}${path.sep}`,
      `${data}${path.sep}`,
    ]);
    expect(
      await engine.all('SELECT count(*) AS n FROM read_csv($1)', [path.join(alias, 'data', 'users.csv')]),
    ).toEqual([{ n: 2 }]);
    mkdirSync(later);
    await engine.run(`COPY (SELECT 1) TO ${quoteLiteral(path.join(later, 'x.csv'))}`);
  });

  it('adds a file-backed temp directory to the allowed ones; in memory there is none', async () => {
    const warehouse = path.join(root, 'tmpcheck', 'w.duckdb');
    const file = await engineFor(warehouse);
    const [fileRow] = await file.all(
      "SELECT current_setting('temp_directory') AS t, current_setting('allowed_directories') AS d",
    );
    expect(fileRow?.t).toBe(`${warehouse}.tmp`);
    expect(fileRow?.d).toContain(`${warehouse}.tmp${path.sep}`);
    const memory = await engineFor(':memory:');
    const [memoryRow] = await memory.all("SELECT current_setting('temp_directory') AS t");
    expect(memoryRow?.t).toBe('');
  });

  it('rejects relative and root allowed directories and bad settings with clear errors', async () => {
    await expect(openEngine({ database: ':memory:', allowedDirectories: ['data'] })).rejects.toMatchObject({
      code: 'engine_relative_directory',
    });
    await expect(openEngine({ database: ':memory:', allowedDirectories: ['/'] })).rejects.toMatchObject({
      code: 'engine_root_directory',
    });
    await expect(
      openEngine({ database: ':memory:', allowedDirectories: [], memoryLimit: 'lots' }),
    ).rejects.toMatchObject({
      code: 'engine_invalid_setting',
      message: expect.stringContaining('memoryLimit'),
    });
    await expect(
      openEngine({ database: ':memory:', allowedDirectories: [], threads: 0 }),
    ).rejects.toMatchObject({
      code: 'engine_invalid_setting',
    });
    await expect(
      openEngine({ database: ':memory:', allowedDirectories: [], timezone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({
      code: 'engine_invalid_setting',
    });
  });

  it('refuses queries after close', async () => {
    const engine = await openEngine({ database: ':memory:', allowedDirectories: [] });
    await engine.close();
    await engine.close();
    await expect(engine.all('SELECT 1')).rejects.toMatchObject({ code: 'engine_closed' });
  });
});

describe('query results', () => {
  it('are JSON-safe: safe integers as numbers, big ones and decimals as strings, times as ISO', async () => {
    const engine = await engineFor(':memory:');
    const [row] = await engine.all(`SELECT
      42::BIGINT AS count, 9007199254740993::BIGINT AS big, 170141183460469231731687303715884105727::HUGEINT AS huge,
      1.50::DECIMAL(10, 2) AS price, 2.5::DOUBLE AS ratio, true AS flag, NULL AS nothing,
      DATE '2024-02-29' AS day, TIMESTAMP '2024-01-02 03:04:05' AS at,
      TIMESTAMP '2024-01-02 03:04:05.123456' AS at_micros, TIMESTAMPTZ '2024-01-02 03:04:05+02' AS at_tz,
      TIMESTAMP_MS '1969-12-31 23:59:59.999' AS before_epoch, 'infinity'::TIMESTAMP AS forever,
      [1::BIGINT, NULL] AS list, {'n': 3::BIGINT, 'd': DATE '2020-01-01'} AS struct`);
    expect(row).toEqual({
      count: 42,
      big: '9007199254740993',
      huge: '170141183460469231731687303715884105727',
      price: '1.50',
      ratio: 2.5,
      flag: true,
      nothing: null,
      day: '2024-02-29',
      at: '2024-01-02T03:04:05.000Z',
      at_micros: '2024-01-02T03:04:05.123456Z',
      at_tz: '2024-01-02T01:04:05.000Z',
      before_epoch: '1969-12-31T23:59:59.999Z',
      forever: 'infinity',
      list: [1, null],
      struct: { n: 3, d: '2020-01-01' },
    });
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });

  it('binds positional and named parameters', async () => {
    const engine = await engineFor(':memory:');
    expect(await engine.all('SELECT $1::INTEGER + 1 AS a, $2 AS b', [41, "it's"])).toEqual([
      { a: 42, b: "it's" },
    ]);
    expect(await engine.all('SELECT $x AS x, $y AS y', { x: null, y: 10n })).toEqual([{ x: null, y: 10 }]);
  });

  it('wraps DuckDB errors in OutflowError with the cause kept', async () => {
    const engine = await engineFor(':memory:');
    const error = await engine.all('SELECT * FROM nowhere').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutflowError);
    expect(error).toMatchObject({ code: 'engine_query_failed', message: expect.stringContaining('nowhere') });
    expect((error as OutflowError).cause).toBeInstanceOf(Error);
  });
});
