import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixedRanges,
  ingestFiles,
  parseByteSize,
  sqlType,
  writeExportSpec,
  xmlAttribute,
  xmlTextSql,
} from '../../src/engine/index.js';
import { castFromText } from '../../src/engine/sql/column-types.js';
import { insertStagedSql, keepLatestPerPersonSql } from '../../src/engine/sql/dataset-sql.js';
import { copyOptions, fileExtension, materializeSql } from '../../src/engine/sql/export-sql.js';
import { fileFormat, readFileSql, stageSql } from '../../src/engine/sql/ingest-sql.js';
import { dataflow, fileRef, type Sandbox, sandbox } from './data-support.js';

let box: Sandbox;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.close();
});

const columns = [
  { name: 'userid', type: 'integer', from: 'we"ird id', mandatory: true },
  { name: 'ts', type: 'timestamp' },
  { name: 'n', type: 'string', expr: "a || 'x'" },
];

describe('ingest SQL', () => {
  it('casts timestamp text to the same UTC value as the time-zone-aware cast, fast path or not', async () => {
    const texts = [
      '2026-01-01T10:00:00Z',
      '2026-01-01 10:00:00',
      '2026-01-01',
      '2026-01-01T10:00',
      '2026-01-01 10:00Z',
      '2026-01-01T10:00:00.5Z',
      '2026-01-01 10:00:00.1234567',
      '2026-01-01 10:00:00+02',
      '2026-01-01T10:00:00-08:00',
      '2026-01-01 10:00:00 Europe/Paris',
      '2026-01-01 10:00:00 UTC',
      '2026-02-30',
      '2026-1-1',
      'garbage',
      'infinity',
    ];
    const values = texts.map((_, i) => `($${i + 1})`).join(', ');
    const rows = await box.engine.all(
      `SELECT t, CAST(${castFromText('t', 'timestamp')} AS VARCHAR) AS fast, CAST(timezone('UTC', TRY_CAST(t AS TIMESTAMPTZ)) AS VARCHAR) AS tz FROM (VALUES ${values}) v(t)`,
      texts,
    );
    expect(rows.filter((r) => r.fast !== r.tz)).toEqual([]);
    expect(rows.find((r) => r.t === '2026-01-01 10:00:00+02')?.fast).toBe('2026-01-01 08:00:00');
  });

  it('binds the file and CSV options and runs', async () => {
    const file = box.write('sql/a.csv', 'skip me\n"we""ird id";a\n1;NULL\n');
    const q = readFileSql(file, 'csv', { delimiter: ';', nullString: 'NULL', skipRows: 1 });
    expect(q.sql).toBe(
      'CREATE OR REPLACE TEMP TABLE "_outflow_raw" AS SELECT * FROM read_csv($1, all_varchar = true, delim = $2, nullstr = $3, skip = $4)',
    );
    expect(q.params).toEqual([file, ';', 'NULL', 1]);
    await box.engine.run(q.sql, q.params);
    expect(await box.engine.all('SELECT * FROM _outflow_raw')).toEqual([{ 'we"ird id': '1', a: null }]);
  });

  it('stages casts and reasons with quoted identifiers and a spliced checked expr', () => {
    const q = stageSql(columns, new Set(['userid']), 2);
    expect(q.params).toEqual([2]);
    expect(stageSql(columns, new Set(), 2, '36028797018960000').params).toEqual([2, '36028797018960000']);
    expect(stageSql(columns, new Set(), 2, '0').sql).toContain(
      'SELECT rowid - CAST($2 AS BIGINT) + $1 AS _line,',
    );
    expect(q.sql).toContain(
      `SELECT row_number() OVER (ORDER BY rowid) - 1 + $1 AS _line, "we""ird id" AS "s0", "ts" AS "s1", CAST((a || 'x') AS VARCHAR) AS "s2" FROM "_outflow_raw"`,
    );
    expect(q.sql).toContain(
      `TRY_CAST(NULLIF("s0", '') AS INTEGER) AS "c0", CASE WHEN regexp_full_match(NULLIF("s1", ''), '\\d{4}-\\d\\d-\\d\\d([ T]\\d\\d:\\d\\d(:\\d\\d(\\.\\d{1,6})?)?Z?)?') THEN TRY_CAST(NULLIF("s1", '') AS TIMESTAMP) ELSE timezone('UTC', TRY_CAST(NULLIF("s1", '') AS TIMESTAMPTZ)) END AS "c1", "s2" AS "c2"`,
    );
    expect(q.sql).toContain(
      `CASE WHEN "s0" IS NULL OR "s0" = '' THEN 'missing mandatory value' WHEN "c0" IS NULL THEN 'cannot convert to integer' END AS "r0"`,
    );
    expect(q.sql).toContain('coalesce("r0", "r1", "r2") IS NULL AS _valid');
  });

  it('numbers _seq by record and keeps the latest row per person', () => {
    expect(insertStagedSql('users', columns, 5, '/d/a.csv')).toEqual({
      sql: [
        'INSERT INTO "ds_users" ("userid", "ts", "n", "_seq", "_file", "_line")',
        'SELECT "c0", "c1", "c2", CAST($1 AS BIGINT) + _line, CAST($2 AS VARCHAR), _line',
        'FROM "_outflow_stage" WHERE _valid',
      ].join('\n'),
      params: [5, '/d/a.csv'],
    });
    expect(keepLatestPerPersonSql('users', 'userid').sql).toBe(
      'DELETE FROM "ds_users" WHERE _seq IN (SELECT _seq FROM "ds_users" QUALIFY row_number() OVER (PARTITION BY "userid" ORDER BY _seq DESC) > 1)',
    );
  });

  it('maps types and formats', () => {
    expect(
      ['string', 'integer', 'bigint', 'double', 'decimal(12, 3)', 'boolean', 'date', 'timestamp', 'json'].map(
        sqlType,
      ),
    ).toEqual([
      'VARCHAR',
      'INTEGER',
      'BIGINT',
      'DOUBLE',
      'DECIMAL(12,3)',
      'BOOLEAN',
      'DATE',
      'TIMESTAMP',
      'JSON',
    ]);
    expect(() => sqlType('decimal(40,2)')).toThrow(
      expect.objectContaining({ code: 'engine_unknown_column_type' }),
    );
    expect(() => sqlType('varchar); DROP TABLE x; --')).toThrow();
    expect(
      ['a.csv', 'a.CSV.gz', 'b.json', 'c.jsonl', 'd.ndjson', 'e.parquet'].map((f) => fileFormat(f, 'auto')),
    ).toEqual(['csv', 'csv', 'json', 'ndjson', 'ndjson', 'parquet']);
    expect(fileFormat('x.dat', 'csv')).toBe('csv');
    expect(() => fileFormat('x.dat', undefined)).toThrow(
      expect.objectContaining({ code: 'ingest-unknown-format' }),
    );
  });

  it('ingests and exports columns whose names need quoting', async () => {
    const flow = dataflow('odd', [
      { name: 'id', type: 'integer', from: 'we"ird id' },
      { name: 'label', type: 'string', from: 'it\'s, "x"' },
    ]);
    const file = box.write('odd/a.csv', '"we""ird id","it\'s, ""x"""\n1,ok\n');
    await ingestFiles(box.engine, flow, [fileRef(file)], { firstSeq: 1, rejectDir: box.rejects });
    const out = await writeExportSpec(
      box.engine,
      {
        name: 'odd',
        source: { kind: 'dataflow', flow },
        config: {
          kind: 'Export',
          name: 'odd',
          type: 'dataOut',
          from: { dataflow: 'odd' },
          destination: 'd',
          format: 'csv',
          mode: 'full',
        },
      },
      { stagingDir: path.join(box.staging, 'odd'), runId: 'r', now: new Date(0), timeZone: 'UTC' },
    );
    expect(readFileSync(path.join(box.staging, 'odd', out.files[0]!.name), 'utf8')).toBe('id,label\n1,ok\n');
  });
});

describe('export SQL', () => {
  const flow = dataflow(
    'ev',
    [
      { name: 'userid', type: 'bigint' },
      { name: 'event', type: 'string' },
      { name: 'ts', type: 'timestamp' },
    ],
    { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
  );

  it('materialises the rows once, in a fixed order, with bound filters', () => {
    const q = materializeSql(
      {
        name: 'x',
        source: { kind: 'dataflow', flow, events: ['buy', 'visit'] },
        config: {
          kind: 'Export',
          name: 'x',
          type: 'segment',
          fields: ['userid', 'ts'],
          from: { dataflow: 'ev' },
          destination: 'd',
          format: 'csv',
          splitBy: 'event',
        },
      },
      { now: new Date(0), sinceSeq: 10, untilSeq: 20 },
    );
    expect(q.sql).toBe(
      [
        'CREATE OR REPLACE TEMP TABLE "_outflow_export" AS',
        `SELECT "userid", "ts", coalesce(CAST("event" AS VARCHAR), '') AS __part, row_number() OVER (PARTITION BY coalesce(CAST("event" AS VARCHAR), '') ORDER BY _seq) AS __rn, _seq AS __seq`,
        'FROM (SELECT * FROM "ds_ev" WHERE _seq > CAST($1 AS BIGINT) AND _seq <= CAST($2 AS BIGINT) AND "event" IN ($3, $4) ORDER BY _seq) s',
        'ORDER BY __part, __rn',
      ].join('\n'),
    );
    expect(q.params).toEqual([10, 20, 'buy', 'visit']);
  });

  it('knows COPY options, extensions and sizes', () => {
    expect(copyOptions('parquet', 'none')).toBe('FORMAT parquet, COMPRESSION uncompressed');
    expect(copyOptions('parquet', 'snappy')).toBe('FORMAT parquet, COMPRESSION snappy');
    expect(copyOptions('csv', 'gzip')).toBe('FORMAT csv, HEADER true, COMPRESSION gzip');
    expect(copyOptions('json', undefined)).toBe('FORMAT json, ARRAY true, COMPRESSION none');
    expect(copyOptions('ndjson', 'zstd')).toBe('FORMAT json, COMPRESSION zstd');
    expect(() => copyOptions('csv', 'snappy')).toThrow(
      expect.objectContaining({ code: 'export-bad-compression' }),
    );
    expect([
      fileExtension('csv', 'gzip'),
      fileExtension('ndjson', 'zstd'),
      fileExtension('parquet', 'zstd'),
      fileExtension('xml', 'none'),
    ]).toEqual(['csv.gz', 'ndjson.zst', 'parquet', 'xml']);
    expect([parseByteSize('100MB'), parseByteSize('1KB'), parseByteSize('7'), parseByteSize(42)]).toEqual([
      104_857_600, 1024, 7, 42,
    ]);
    expect(fixedRanges(10, 4)).toEqual([
      { from: 1, to: 4 },
      { from: 5, to: 8 },
      { from: 9, to: 10 },
    ]);
  });

  it('escapes XML text in SQL and attributes in JS', async () => {
    expect(xmlTextSql('$1')).toBe(
      "replace(replace(replace(replace(regexp_replace(CAST($1 AS VARCHAR), '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x{FFFE}\\x{FFFF}]', '\uFFFD', 'g'), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), chr(13), '&#13;')",
    );
    const [row] = await box.engine.all(`SELECT ${xmlTextSql('$1')} AS t`, ['a<b>&c\r\u0001\uFFFF\tok 🎉']);
    expect(row).toEqual({ t: 'a&lt;b&gt;&amp;c&#13;\uFFFD\uFFFD\tok 🎉' });
    expect(xmlAttribute('say "hi"\n<&>')).toBe('say &quot;hi&quot;&#10;&lt;&amp;&gt;');
  });
});
