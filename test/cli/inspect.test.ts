import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectFiles } from '../../src/cli/init-template.js';
import { openEngine, outflowType, quoteLiteral, schemaColumnNames } from '../../src/engine/index.js';
import { runCli } from '../support/cli.js';

// `outflow inspect` on real files through the CLI (DuckDB runs for real), and its --yaml pasted
// into a Dataflow of a real project, validated and applied.
const NOW = '2026-11-20T12:00:00Z';

// A header with spaces, a currency sign, an accent and a quote; values with quotes, commas,
// accents, an empty field, and dates DuckDB reads as %d/%m/%Y (which an ingest would not).
const PRODUCTS_CSV = [
  'SKU,Product name,Prix €,"Größe ""EU""",Order date,In stock,Weight (kg),userId',
  'A-1,"Montre ""Classic""",129.90,42,20/01/2024,true,0.25,7',
  'B-2,"Sac, cuir",89,,21/01/2024,false,,8',
  'C-3,Zoë’s book 📚,12.5,38,22/01/2024,true,1.2,9',
  '',
].join('\n');

const EVENTS_NDJSON = [
  { user_id: 1, event: 'buy', ts: '2026-11-01T10:00:00Z', price: 12.5, tags: ['a'], ctx: { page: '/' } },
  { user_id: 2, event: 'visit', ts: '2026-11-02T10:00:00Z', price: null, tags: [], ctx: { page: '/x' } },
  { user_id: 3, event: 'buy', ts: '2026-11-03T10:00:00Z', price: 3, tags: ['b', 'c'], ctx: null, late: 'é' },
]
  .map((o) => JSON.stringify(o))
  .join('\n');

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function write(dir: string, path: string, content: string | Buffer): string {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** The project `outflow init` writes, plus a `local` Connection reading `incoming/`. */
function makeProject(): string {
  const dir = tempDir('outflow-inspect-project-');
  const files = projectFiles({ name: 'shop', dataDir: 'data', schemaPath: 'outflow.schema.json' });
  for (const [path, content] of Object.entries(files)) write(dir, path, content);
  write(
    dir,
    'flows/connections.yaml',
    `${files['flows/connections.yaml']}---\nkind: Connection\nname: drops\ntype: local\nroot: incoming\n`,
  );
  return dir;
}

/** The temp folders inspect downloads a connection's file into (mkdtemp's six random characters). */
const downloads = () => readdirSync(tmpdir()).filter((n) => /^outflow-inspect-[A-Za-z0-9]{6}$/.test(n));

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

let data: string;
let parquetFile: string;

beforeAll(async () => {
  data = tempDir('outflow-inspect-data-');
  write(data, 'products.csv', PRODUCTS_CSV);
  write(data, 'events.ndjson', EVENTS_NDJSON);
  write(data, 'products.csv.gz', gzipSync(Buffer.from(PRODUCTS_CSV)));
  // A Parquet file written by DuckDB itself, through the engine (its folder allowed).
  const engine = await openEngine({ database: ':memory:', allowedDirectories: [data] });
  parquetFile = join(data, 'orders.parquet');
  try {
    await engine.run(`COPY (
      SELECT * FROM (VALUES
        (1::INTEGER, 19.99::DECIMAL(12,2), TIMESTAMP '2026-01-02 03:04:05', DATE '2026-01-02', true, {'a': 1}, [1, 2], 'Zoë'),
        (2::INTEGER, NULL, TIMESTAMP '2026-01-03 00:00:00', NULL, false, {'a': 2}, [], NULL)
      ) AS t(order_id, amount, placed_at, ship_date, paid, meta, items, "Customer name")
    ) TO ${quoteLiteral(parquetFile)} (FORMAT parquet)`);
  } finally {
    await engine.close();
  }
});

describe('outflow inspect: formats', () => {
  it('reads a CSV with a header, unicode and quotes: types, nulls, rows and a sample as the file holds it', async () => {
    const res = await runCli(['inspect', 'products.csv'], { cwd: data });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toBe('products.csv: csv, 3 rows, 8 columns');
    expect(lines[1]).toBe('  delimiter ",", quote "\\"", header line');
    expect(res.stdout).toMatch(/^ {2}SKU +VARCHAR +0 {2}sku: string$/m);
    expect(res.stdout).toMatch(/^ {2}Product name +VARCHAR +0 {2}product_name: string$/m);
    expect(res.stdout).toMatch(/^ {2}Prix € +DOUBLE +0 {2}prix: double$/m);
    expect(res.stdout).toMatch(/^ {2}Größe "EU" +BIGINT +1 {2}grosse_eu: bigint$/m);
    expect(res.stdout).toMatch(/^ {2}Order date +DATE +0 {2}order_date: string \(!\)$/m);
    expect(res.stdout).toMatch(/^ {2}In stock +BOOLEAN +0 {2}in_stock: boolean$/m);
    expect(res.stdout).toMatch(/^ {2}Weight \(kg\) +DOUBLE +1 {2}weight_kg: double$/m);
    expect(res.stdout).toMatch(/^ {2}userId +BIGINT +0 {2}user_id: bigint$/m);
    expect(res.stdout).toContain(
      '(!) Order date: DuckDB reads DATE (format %d/%m/%Y), but 3 values would not convert to date in an ingest (first: "20/01/2024"); kept as string',
    );
    expect(res.stdout).toContain('First 3 rows, as the file holds them:');
    expect(res.stdout).toContain('Montre "Classic"');
    expect(res.stdout).toContain('Sac, cuir');
    expect(res.stdout).toContain('Zoë’s book 📚');
    expect(res.stdout).toContain('129.90');
    expect(res.stdout).toContain('outflow inspect products.csv --yaml');

    const one = await runCli(['inspect', 'products.csv', '--rows', '1'], { cwd: data });
    expect(one.stdout).toContain('First 1 row, as the file holds them:');
    expect(one.stdout).not.toContain('Sac, cuir');
    const none = await runCli(['inspect', 'products.csv', '--rows', '0'], { cwd: data });
    expect(none.stdout).not.toContain('First');
  });

  it('reads NDJSON: keys in file order, nested values as json, an all-null key as string', async () => {
    const res = await runCli(['inspect', 'events.ndjson', '--format', 'json'], { cwd: data });
    expect(res.code).toBe(0);
    const out = json(res.stdout);
    expect(out).toMatchObject({ file: 'events.ndjson', format: 'ndjson', compression: null, rows: 3 });
    expect(out.csv).toBeUndefined();
    const columns = out.columns as { name: string; duckdbType: string; nulls: number; type: string }[];
    expect(columns.map((c) => [c.name, c.type, c.nulls])).toEqual([
      ['user_id', 'bigint', 0],
      ['event', 'string', 0],
      ['ts', 'timestamp', 0],
      ['price', 'double', 1],
      ['tags', 'json', 0],
      ['ctx', 'json', 1],
      ['late', 'string', 2],
    ]);
    expect(columns.find((c) => c.name === 'tags')?.duckdbType).toBe('VARCHAR[]');
    expect((out.sample as Record<string, unknown>[])[0]).toEqual({
      user_id: '1',
      event: 'buy',
      ts: '2026-11-01T10:00:00Z',
      price: '12.5',
      tags: '["a"]',
      ctx: '{"page":"/"}',
      late: null,
    });
  });

  it('reads Parquet written by DuckDB: its own types mapped onto outflow types', async () => {
    const res = await runCli(['inspect', parquetFile, '--format', 'json'], { cwd: data });
    expect(res.stderr).toBe('');
    const out = json(res.stdout);
    expect(out).toMatchObject({ format: 'parquet', compression: null, rows: 2 });
    expect((out.columns as { name: string; type: string }[]).map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'integer'],
      ['amount', 'decimal(12,2)'],
      ['placed_at', 'timestamp'],
      ['ship_date', 'date'],
      ['paid', 'boolean'],
      ['meta', 'json'],
      ['items', 'json'],
      ['Customer name', 'string'],
    ]);
    expect((out.sample as Record<string, unknown>[])[0]).toMatchObject({
      amount: '19.99',
      meta: '{"a":1}',
      'Customer name': 'Zoë',
    });
    const text = await runCli(['inspect', parquetFile], { cwd: data });
    expect(text.stdout).toMatch(/^.*orders\.parquet: parquet, 2 rows, 8 columns$/m);
    expect(text.stdout).toMatch(/^ {2}amount +DECIMAL\(12,2\) +1 {2}amount: decimal\(12,2\)$/m);
  });

  it('reads a .csv.gz after its integrity check, and refuses a truncated one', async () => {
    const res = await runCli(['inspect', 'products.csv.gz', '--format', 'json'], { cwd: data });
    expect(res.code).toBe(0);
    const out = json(res.stdout);
    expect(out).toMatchObject({ format: 'csv', compression: 'gzip', rows: 3 });
    expect((out.columns as unknown[]).length).toBe(8);
    const text = await runCli(['inspect', 'products.csv.gz'], { cwd: data });
    expect(text.stdout.split('\n')[0]).toBe('products.csv.gz: csv, gzip-compressed, 3 rows, 8 columns');

    const whole = gzipSync(Buffer.from(PRODUCTS_CSV.repeat(50)));
    write(data, 'cut.csv.gz', whole.subarray(0, whole.length - 12));
    const cut = await runCli(['inspect', 'cut.csv.gz'], { cwd: data });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(
      /^error\[inspect-corrupt-file\]: stream file cut\.csv\.gz is truncated or corrupt/,
    );
    expect(cut.stderr).toContain('hint: the compressed file is cut short or damaged');
  });

  it('works outside any project, and reads through a symbolic link', async () => {
    const elsewhere = tempDir('outflow-inspect-link-');
    symlinkSync(join(data, 'events.ndjson'), join(elsewhere, "Tom's events.ndjson"));
    const res = await runCli(['inspect', "Tom's events.ndjson"], { cwd: elsewhere });
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n')[0]).toBe("Tom's events.ndjson: ndjson, 3 rows, 7 columns");
    expect(res.stdout).toContain(`outflow inspect 'Tom'\\''s events.ndjson' --yaml`);
  });
});

describe('outflow inspect --yaml', () => {
  it('prints a schema.columns block that, pasted into a Dataflow, validates and ingests every row', async () => {
    const dir = makeProject();
    write(dir, 'data/products/products-001.csv', PRODUCTS_CSV);
    const res = await runCli(['inspect', 'data/products/products-001.csv', '--yaml'], { cwd: dir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const block = res.stdout;
    expect(block.split('\n').slice(0, 4)).toEqual([
      '  columns:',
      '    - {name: sku, type: string, from: SKU}',
      '    - {name: product_name, type: string, from: "Product name"}',
      '    - {name: prix, type: double, from: "Prix €"}',
    ]);
    expect(block).toContain('    - {name: grosse_eu, type: bigint, from: "Größe \\"EU\\""}');
    expect(block).toContain('    - {name: user_id, type: bigint, from: userId}');
    const parsed = parse(`schema:\n${block}\n`) as { schema: { columns: Record<string, string>[] } };
    expect(parsed.schema.columns.map((c) => c.from)).toEqual(
      PRODUCTS_CSV.split('\n')[0]!.replace('"Größe ""EU"""', 'Größe "EU"').split(','),
    );

    // The date column stays a string; its comment offers an expr that keeps it a date.
    const dateLine = block.split('\n').find((l) => l.includes('from: "Order date"'))!;
    expect(dateLine).toMatch(
      /^ {4}- \{name: order_date, type: string, from: "Order date"\} {2}# DuckDB reads DATE/,
    );
    const keepDate = /to keep a date: (\{.*\})$/.exec(dateLine)![1]!;
    expect(parse(keepDate)).toEqual({
      name: 'order_date',
      type: 'date',
      expr: `strptime("Order date", '%d/%m/%Y')`,
    });

    const dataflow = (name: string, columns: string) =>
      `kind: Dataflow\nname: ${name}\nentity: product\nsource: {type: streamFile, path: data/products/*.csv, format: csv}\nschema:\n  name: ${name}\n${columns}\nwriteMode: overwrite\n`;
    write(
      dir,
      'flows/products.yaml',
      `${dataflow('products', block)}---\n${dataflow('products_dated', block.replace(dateLine, `    - ${keepDate}`))}`,
    );
    const validate = await runCli(['validate'], { cwd: dir });
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    const apply = await runCli(['apply', '--auto-approve', '--now', NOW], { cwd: dir });
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('✓ ingest Dataflow/products: 3 rows from 1 file\n');
    expect(apply.stdout).toContain('✓ ingest Dataflow/products_dated: 3 rows from 1 file\n');

    const engine = await openEngine({
      database: join(dir, '.outflow', 'warehouse.duckdb'),
      allowedDirectories: [join(dir, '.outflow')],
      readOnly: true,
    });
    try {
      const rows = await engine.all(
        'SELECT p.sku, p.product_name, p.grosse_eu, p.order_date, d.order_date AS dated, p.user_id FROM ds_products p JOIN ds_products_dated d USING (sku) ORDER BY sku',
      );
      expect(rows).toEqual([
        {
          sku: 'A-1',
          product_name: 'Montre "Classic"',
          grosse_eu: 42,
          order_date: '20/01/2024',
          dated: '2024-01-20',
          user_id: 7,
        },
        {
          sku: 'B-2',
          product_name: 'Sac, cuir',
          grosse_eu: null,
          order_date: '21/01/2024',
          dated: '2024-01-21',
          user_id: 8,
        },
        {
          sku: 'C-3',
          product_name: 'Zoë’s book 📚',
          grosse_eu: 38,
          order_date: '22/01/2024',
          dated: '2024-01-22',
          user_id: 9,
        },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('names columns validly and uniquely, never after the bookkeeping columns, quoting what YAML would misread', async () => {
    // DuckDB itself renames a repeated header (name, name_1); inspect dedups what only its renaming makes equal.
    write(
      data,
      'names.csv',
      '"Product name","product_name","Product-Name","_line","2024 sales","Yes","null","name","Name"\n1,2,3,4,5,6,7,8,9\n',
    );
    const res = await runCli(['inspect', 'names.csv', '--yaml'], { cwd: data });
    const columns = (parse(`schema:\n${res.stdout}\n`) as { schema: { columns: Record<string, string>[] } })
      .schema.columns;
    expect(columns.map((c) => c.name)).toEqual([
      'product_name',
      'product_name_2',
      'product_name_3',
      '_line_2',
      'col_2024_sales',
      'yes',
      'null',
      'name',
      'name_1',
    ]);
    expect(columns.map((c) => c.from)).toEqual([
      'Product name',
      'product_name',
      'Product-Name',
      '_line',
      '2024 sales',
      'Yes',
      'null',
      'name',
      'Name_1',
    ]);
    expect(res.stdout).toContain('{name: "yes", type: bigint, from: "Yes"}');
  });
});

describe('outflow inspect CONNECTION:KEY', () => {
  it('downloads a file from a local connection, inspects it, and leaves nothing behind', async () => {
    const dir = makeProject();
    write(dir, 'incoming/2026/11/users.csv.gz', gzipSync(Buffer.from(PRODUCTS_CSV)));
    const before = downloads();
    const res = await runCli(['inspect', 'drops:2026/11/users.csv.gz', '--format', 'json'], {
      cwd: join(dir, 'flows'),
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = json(res.stdout);
    expect(out).toMatchObject({
      file: 'drops:2026/11/users.csv.gz',
      connection: { name: 'drops', key: '2026/11/users.csv.gz' },
      format: 'csv',
      compression: 'gzip',
      rows: 3,
    });
    const text = await runCli(['-C', dir, 'inspect', 'drops:2026/11/users.csv.gz', '--yaml']);
    expect(text.stdout).toContain('    - {name: product_name, type: string, from: "Product name"}');
    const after = downloads();
    expect(after).toEqual(before);
  });

  it('says which connection was meant, which key was meant, and that a connection needs a project', async () => {
    const dir = makeProject();
    write(dir, 'incoming/users.csv', PRODUCTS_CSV);
    const typo = await runCli(['inspect', 'dorps:users.csv'], { cwd: dir });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe(
      'error[unknown-connection]: no file dorps:users.csv, and no Connection named "dorps"\n  hint: did you mean "drops"?',
    );
    const key = await runCli(['inspect', 'drops:user.csv'], { cwd: dir });
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/^error\[object-not-found\]: drops:user\.csv does not exist/);
    expect(key.stderr).toContain('hint: did you mean "drops:users.csv"?');

    const noProject = await runCli(['inspect', 'drops:users.csv'], { cwd: data });
    expect(noProject.code).toBe(1);
    expect(noProject.stderr).toMatch(
      /^error\[inspect-file-not-found\]: drops:users\.csv is neither a file nor/,
    );
    expect(noProject.stderr).toContain('needs a project');
  });

  it('finds a local path relative to the project root, from a subfolder', async () => {
    const dir = makeProject();
    const res = await runCli(['inspect', 'data/users/users-001.csv', '--format', 'json'], {
      cwd: join(dir, 'flows'),
    });
    expect(res.code).toBe(0);
    expect(json(res.stdout)).toMatchObject({ format: 'csv', rows: 40 });
  });
});

describe('outflow inspect: errors', () => {
  it('a missing file, with a did-you-mean from its folder', async () => {
    const res = await runCli(['inspect', 'product.csv'], { cwd: data });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      'error[inspect-file-not-found]: product.csv does not exist\n  hint: did you mean "products.csv"?',
    );
    const far = await runCli(['inspect', 'nowhere/at-all.csv', '--format', 'json'], { cwd: data });
    expect(far.code).toBe(1);
    expect(json(far.stdout)).toMatchObject({
      error: { code: 'inspect-file-not-found', message: 'nowhere/at-all.csv does not exist' },
    });
  });

  it('malformed JSON, an NDJSON file named .json, a non-Parquet .parquet, a folder, an unknown extension', async () => {
    write(data, 'broken.ndjson', '{"a": 1}\n{"a": \n');
    const broken = await runCli(['inspect', 'broken.ndjson'], { cwd: data });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^error\[inspect-malformed-file\]: cannot read broken\.ndjson as ndjson: .*Malformed JSON in file "broken\.ndjson"/,
    );
    expect(broken.stderr).toContain('hint: an .ndjson or .jsonl stream file holds one JSON object per line');
    expect(broken.stderr).not.toContain(data);

    write(data, 'lines.json', EVENTS_NDJSON);
    const lines = await runCli(['inspect', 'lines.json'], { cwd: data });
    expect(lines.code).toBe(1);
    expect(lines.stderr).toMatch(/^error\[inspect-malformed-file\]: cannot read lines\.json as json/);
    expect(lines.stderr).toContain('should be named .ndjson or .jsonl');

    write(data, 'fake.parquet', 'id,name\n1,x\n');
    const fake = await runCli(['inspect', 'fake.parquet'], { cwd: data });
    expect(fake.code).toBe(1);
    expect(fake.stderr).toMatch(/^error\[inspect-malformed-file\]: cannot read fake\.parquet as parquet/);

    mkdirSync(join(data, 'folder.csv'), { recursive: true });
    const folder = await runCli(['inspect', 'folder.csv'], { cwd: data });
    expect(folder.stderr).toMatch(/^error\[inspect-not-a-file\]: folder\.csv is not a file/);

    write(data, 'notes.xlsx', 'PK');
    const unknown = await runCli(['inspect', 'notes.xlsx'], { cwd: data });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error\[inspect-unknown-format\]: cannot tell the format of notes\.xlsx/);
    expect(unknown.stderr).toContain('hint: outflow reads stream files by extension');
  });

  it('an empty file has no columns to map; bad options are refused', async () => {
    write(data, 'empty.csv', '');
    const empty = await runCli(['inspect', 'empty.csv'], { cwd: data });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('empty.csv: csv, 0 rows, 0 columns');
    expect(empty.stdout).toContain('No columns to map: the file holds no records.');
    const yaml = await runCli(['inspect', 'empty.csv', '--yaml'], { cwd: data });
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toMatch(/^error\[inspect-no-columns\]/);

    const rows = await runCli(['inspect', 'products.csv', '--rows', 'lots'], { cwd: data });
    expect(rows.stderr).toBe('error[invalid-arguments]: --rows lots is not a number from 0 to 1000');
    const both = await runCli(['inspect', 'products.csv', '--yaml', '--format', 'json'], { cwd: data });
    expect(both.code).toBe(1);
    expect(json(both.stdout)).toMatchObject({ error: { code: 'invalid-arguments' } });
  });

  it('the binary exits 1 with the code and hint and no stack trace', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
    const res = await execa('node', [bin, 'inspect', 'missing.csv'], {
      reject: false,
      cwd: data,
      env: { NO_COLOR: '1' },
    });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error\[inspect-file-not-found\]: missing\.csv does not exist\n {2}hint: /);
    expect(res.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('inspect mapping (pure)', () => {
  it('maps DuckDB types onto outflow types', () => {
    const cases: [string, string][] = [
      ['VARCHAR', 'string'],
      ['UUID', 'string'],
      ['TIME', 'string'],
      ['"NULL"', 'string'],
      ['BOOLEAN', 'boolean'],
      ['TINYINT', 'integer'],
      ['INTEGER', 'integer'],
      ['UINTEGER', 'bigint'],
      ['BIGINT', 'bigint'],
      ['HUGEINT', 'decimal(38,0)'],
      ['FLOAT', 'double'],
      ['DOUBLE', 'double'],
      ['DECIMAL(18,3)', 'decimal(18,3)'],
      ['DATE', 'date'],
      ['TIMESTAMP', 'timestamp'],
      ['TIMESTAMP_NS', 'timestamp'],
      ['TIMESTAMP WITH TIME ZONE', 'timestamp'],
      ['TIMESTAMP[]', 'json'],
      ['STRUCT(a BIGINT)', 'json'],
      ['MAP(VARCHAR, INTEGER)', 'json'],
      ['INTEGER[3]', 'json'],
      ['JSON', 'json'],
    ];
    for (const [duckdb, outflow] of cases) expect([duckdb, outflowType(duckdb)]).toEqual([duckdb, outflow]);
  });

  it('makes schema column names valid for the schema pattern, unique case-insensitively', () => {
    const names = schemaColumnNames([
      'Product name',
      'Chloé',
      'userId',
      'HTTPStatus',
      '  spaced  out  ',
      '€',
      '',
      '_id',
      '_seq',
      'a'.repeat(80),
      'a'.repeat(80),
      '名前',
    ]);
    expect(names).toEqual([
      'product_name',
      'chloe',
      'user_id',
      'http_status',
      'spaced_out',
      'column',
      'column_2',
      '_id',
      '_seq_2',
      'a'.repeat(63),
      `${'a'.repeat(61)}_2`,
      'column_3',
    ]);
    for (const name of names) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
  });
});
