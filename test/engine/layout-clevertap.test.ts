import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportSpec, ingestFiles, writeExportSpec } from '../../src/engine/index.js';
import {
  clevertapJsonSql,
  clevertapParquetItems,
  clevertapXmlSql,
} from '../../src/engine/sql/clevertap-sql.js';
import { resolveClevertapLayout } from '../../src/model/clevertap-layout.js';
import type { Export } from '../../src/schema/index.js';
import { dataflow, fileRef, type Sandbox, sandbox } from './data-support.js';

/**
 * `layout: clevertap` against golden files taken from CleverTap's own examples
 * (test/fixtures/layout-clevertap/README.md says which came from where).
 */
const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'layout-clevertap');
const golden = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const NOW = new Date('2026-11-20T12:00:00.000Z');

const ndjson = {
  source: { type: 'streamFile' as const, path: 'data/x/*.ndjson', format: 'ndjson' as const },
};
const event = { personIdentifier: 'identity', eventTime: 'ts', eventName: 'event' };

const jsonFlow = dataflow(
  'json_example',
  [
    { name: 'identity', type: 'string', mandatory: true },
    { name: 'ts', type: 'timestamp', mandatory: true },
    { name: 'event', type: 'string', mandatory: true },
    ...['ct_connected_to_wifi', 'ct_bluetooth_version', 'ct_bluetooth_enabled'].map((name) => ({
      name,
      type: 'string',
    })),
    { name: 'ct_sdk_version', type: 'integer' },
    { name: 'ct_latitude', type: 'double' },
    { name: 'ct_longitude', type: 'double' },
    ...['ct_os_version', 'ct_app_version', 'ct_network_carrier', 'ct_network_type'].map((name) => ({
      name,
      type: 'string',
    })),
  ],
  { entity: 'event', ...ndjson, schema: event },
);

const xmlFlow = dataflow(
  'xml_example',
  [
    { name: 'identity', type: 'string', mandatory: true },
    { name: 'ts', type: 'timestamp', mandatory: true },
    { name: 'event', type: 'string', mandatory: true },
    { name: 'platform', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'browser', type: 'string' },
    { name: 'ct_source', type: 'string' },
    { name: 'category', type: 'string' },
    { name: 'product_name', type: 'string' },
    { name: 'price', type: 'decimal(10,2)' },
    { name: 'currency', type: 'string' },
  ],
  { entity: 'event', ...ndjson, schema: event },
);

const xmlMapping: Export['clevertap'] = {
  profile: ['platform', 'email'],
  deviceInfo: ['browser'],
  keys: {
    identity: 'all_identities',
    ct_source: 'CT Source',
    category: 'Category',
    product_name: 'Product name',
    price: 'Price',
    currency: 'Currency',
  },
};

const CASES = [
  { name: 'json-example', flow: jsonFlow, clevertap: undefined },
  { name: 'xml-example', flow: xmlFlow, clevertap: xmlMapping },
] as const;

function spec(flow: typeof jsonFlow, config: Partial<Export>): ExportSpec {
  return {
    name: flow.name,
    source: { kind: 'dataflow', flow },
    config: {
      kind: 'Export',
      name: flow.name,
      type: 'dataOut',
      from: { dataflow: flow.name },
      destination: 'local',
      format: 'json',
      layout: 'clevertap',
      splitBy: 'event',
      mode: 'full',
      path: '{export}/{event}-{index}.{ext}',
      ...config,
    },
  };
}

let box: Sandbox;
let run = 0;

beforeAll(async () => {
  box = await sandbox();
  for (const c of CASES) {
    const file = box.write(`${c.name}/events.ndjson`, golden(`${c.name}.ndjson`));
    const result = await ingestFiles(box.engine, c.flow, [fileRef(file)], {
      firstSeq: 1,
      rejectDir: box.rejects,
    });
    expect(result.rejected).toBe(0);
  }
});
afterAll(async () => {
  await box.close();
});

async function write(s: ExportSpec, limitRows?: number) {
  const stagingDir = path.join(box.staging, `run-${run++}`);
  const result = await writeExportSpec(box.engine, s, {
    stagingDir,
    runId: 'r1',
    now: NOW,
    timeZone: 'UTC',
    ...(limitRows === undefined ? {} : { limitRows }),
  });
  return { ...result, dir: stagingDir, read: (name: string) => readFileSync(path.join(stagingDir, name)) };
}

describe('layout: clevertap, against the reference examples', () => {
  it.each(CASES)('$name as JSON: the event name line, then the example object', async (c) => {
    const out = await write(
      spec(c.flow, { format: 'json', ...(c.clevertap ? { clevertap: c.clevertap } : {}) }),
    );
    expect(out.files).toHaveLength(1);
    const text = out.read(out.files[0]!.name).toString('utf8');
    const want = golden(`${c.name}.json`);
    const head = want.slice(0, want.indexOf('\n') + 1);
    // The reference pretty-prints; the file has one compact object per line, same keys, same order.
    expect(text).toBe(`${head}${JSON.stringify(JSON.parse(want.slice(head.length)))}\n`);
  });

  it.each(CASES)('$name as XML, byte for byte', async (c) => {
    const out = await write(
      spec(c.flow, { format: 'xml', ...(c.clevertap ? { clevertap: c.clevertap } : {}) }),
    );
    expect(out.files).toHaveLength(1);
    expect(out.read(out.files[0]!.name).toString('utf8')).toBe(golden(`${c.name}.xml`));
  });

  it.each(CASES)('$name as Parquet: nested structs', async (c) => {
    const out = await write(
      spec(c.flow, { format: 'parquet', ...(c.clevertap ? { clevertap: c.clevertap } : {}) }),
    );
    expect(out.files).toHaveLength(1);
    const file = path.join(out.dir, out.files[0]!.name);
    const want = JSON.parse(golden(`${c.name}.parquet.json`)) as { columns: unknown[]; rows: unknown[] };
    const columns = await box.engine.all(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    expect(columns.map((r) => ({ name: r.column_name, type: r.column_type }))).toEqual(want.columns);
    const rows = await box.engine.all(`SELECT to_json(t)::VARCHAR AS j FROM read_parquet('${file}') t`);
    // Compared as text, so key order counts.
    expect(rows.map((r) => r.j)).toEqual(want.rows.map((r) => JSON.stringify(r)));
  });

  it('writes the same bytes for drafts (materialised rows), and gzips', async () => {
    const s = spec(xmlFlow, { format: 'json', clevertap: xmlMapping });
    const direct = await write(s);
    const draft = await write(s, 10);
    const name = direct.files[0]!.name;
    expect(draft.read(name).equals(direct.read(name))).toBe(true);
    const gz = await write(spec(xmlFlow, { format: 'xml', compression: 'gzip', clevertap: xmlMapping }));
    expect(gz.files[0]!.name.endsWith('.xml.gz')).toBe(true);
    expect(gunzipSync(gz.read(gz.files[0]!.name)).toString('utf8')).toBe(golden('xml-example.xml'));
  });

  it('segment exports: fields are the event properties; profile columns need not be listed', async () => {
    const s = spec(xmlFlow, { type: 'segment', fields: ['price', 'ct_source'], clevertap: xmlMapping });
    const out = await write(s);
    const lines = out.read(out.files[0]!.name).toString('utf8').split('\n');
    expect(JSON.parse(lines[1]!)).toEqual({
      profile: {
        all_identities: 'exportProfile+81@clevertap.com',
        platform: 'Web',
        email: 'exportProfile+81@clevertap.com',
      },
      ts: 20200220130735,
      deviceInfo: { browser: 'Others' },
      eventProps: { Price: 59.99, 'CT Source': 'API' },
    });
    const draft = await write(s, 5);
    expect(draft.read(out.files[0]!.name).equals(out.read(out.files[0]!.name))).toBe(true);
  });

  it('refuses JSON without splitBy: event, and non-event sources', async () => {
    await expect(write(spec(jsonFlow, { format: 'json', splitBy: 'none' }))).rejects.toMatchObject({
      code: 'export-bad-layout',
      hint: 'add splitBy: event',
    });
    const users = dataflow('users', [{ name: 'userid', type: 'integer' }]);
    await expect(write(spec(users, { format: 'xml', splitBy: 'none' }))).rejects.toMatchObject({
      code: 'export-bad-layout',
    });
  });
});

describe('CleverTap layout SQL', () => {
  const layout = resolveClevertapLayout(spec(xmlFlow, { clevertap: xmlMapping }).config, xmlFlow, [
    'identity',
    'ts',
    'event',
    'ct_source',
    'price',
  ]).layout!;

  it('maps the identity, the chosen profile and deviceInfo columns, and the rest to eventProps', () => {
    expect(layout.profile.map((e) => [e.column, e.key])).toEqual([
      ['identity', 'all_identities'],
      ['platform', 'platform'],
      ['email', 'email'],
    ]);
    expect(layout.deviceInfo.map((e) => e.key)).toEqual(['browser']);
    expect(layout.eventProps.map((e) => [e.column, e.key])).toEqual([
      ['ct_source', 'CT Source'],
      ['price', 'Price'],
    ]);
  });

  it('quotes columns as identifiers and keys as literals', () => {
    const json = clevertapJsonSql(layout);
    expect(json).toContain(
      `CASE WHEN "ct_source" IS NOT NULL THEN concat('"CT Source":', to_json("ct_source")) END`,
    );
    expect(json).toContain(`concat(',"ts":', CAST(strftime("ts", '%Y%m%d%H%M%S') AS BIGINT))`);
    expect(clevertapXmlSql(layout)).toContain('            <key>CT Source</key>\n            <value>');
    expect(clevertapParquetItems(layout)).toContain(
      'struct_pack("CT Source" := "ct_source", "Price" := "price") AS "eventProps"',
    );
  });
});
