import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countExportRows,
  type ExportSpec,
  ingestFiles,
  writeExport,
  writeExportSpec,
} from '../../src/engine/index.js';
import { emptyModel, type KindMap, type Model, type ResourceNode } from '../../src/model/index.js';
import type { Export } from '../../src/schema/index.js';
import { syncedInodes } from '../support/synced-files.js';
import { csv, dataflow, fileRef, parseCsv, random, type Sandbox, sandbox, sha256 } from './data-support.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const NOTES = [
  'plain',
  'Zoë, "quoted"',
  'a,b,c',
  'new\nline',
  '<tag attr="x">&amp;</tag>',
  '日本語 🎉',
  '',
  'tab\there',
];
const EVENTS = ['buy', 'visit', 'add_to_cart'];

interface Ev {
  userid: number;
  event: string;
  ts: number;
  cents: number;
  note: string | null;
}

function generate(seed: number, count: number, baseTs: number): Ev[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: count }, () => ({
    userid: 1 + Math.floor(rnd() * 50),
    event: pick(EVENTS),
    ts: baseTs + Math.floor(rnd() * 30 * 86_400) * 1000,
    cents: Math.floor(rnd() * 100_000),
    note: rnd() < 0.1 ? null : pick(NOTES),
  }));
}

const eventsFlow = dataflow(
  'events',
  [
    { name: 'userid', type: 'bigint', mandatory: true },
    { name: 'event', type: 'string', mandatory: true },
    { name: 'ts', type: 'timestamp', mandatory: true },
    { name: 'price', type: 'decimal(10,2)', from: 'amount' },
    { name: 'note', type: 'string' },
  ],
  { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
);
const usersFlow = dataflow(
  'users',
  [
    { name: 'userid', type: 'integer', mandatory: true },
    { name: 'email', type: 'string' },
  ],
  { schema: { personIdentifier: 'userid' } },
);

const offsetText = (ms: number) => {
  // The same instant written with a +02:00 offset.
  const local = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19);
  return `${local}+02:00`;
};
const eventsCsv = (evs: Ev[]) =>
  csv(
    ['userid', 'event', 'ts', 'amount', 'note'],
    evs.map((e) => [String(e.userid), e.event, offsetText(e.ts), (e.cents / 100).toFixed(2), e.note]),
  );
/** What DuckDB's CSV writer prints for a row (NULL and '' both as empty fields). */
const csvRow = (e: Ev) => [
  String(e.userid),
  e.event,
  new Date(e.ts).toISOString().slice(0, 19).replace('T', ' '),
  (e.cents / 100).toFixed(2),
  e.note ?? '',
];

const first = generate(7, 400, Date.UTC(2025, 0, 1));
const late = generate(8, 150, Date.UTC(2024, 11, 1)); // arrives later, happened earlier
let box: Sandbox;
let run = 0;

beforeAll(async () => {
  box = await sandbox();
  const a = box.write('events/a.csv', eventsCsv(first));
  await ingestFiles(box.engine, eventsFlow, [fileRef(a)], { firstSeq: 1, rejectDir: box.rejects });
  const u = box.write(
    'users/u.csv',
    csv(
      ['userid', 'email'],
      Array.from({ length: 60 }, (_, i) => [String(i + 1), `ü${i + 1}@example.com`]),
    ),
  );
  await ingestFiles(box.engine, usersFlow, [fileRef(u)], { firstSeq: 1, rejectDir: box.rejects });
});
afterAll(async () => {
  await box.close();
});

function spec(config: Partial<Export>, given?: ExportSpec['source']): ExportSpec {
  const source = given ?? { kind: 'dataflow', flow: eventsFlow, events: config.from?.events };
  return {
    name: 'ev_export',
    source,
    config: {
      kind: 'Export',
      name: 'ev_export',
      type: 'dataOut',
      from: { dataflow: 'events' },
      destination: 'local',
      format: 'csv',
      mode: 'full',
      ...config,
    },
  };
}

async function write(s: ExportSpec, extra: { sinceSeq?: number; syncFiles?: boolean } = {}) {
  const stagingDir = path.join(box.staging, `run-${run++}`);
  const result = await writeExportSpec(box.engine, s, {
    stagingDir,
    runId: 'r1',
    now: NOW,
    timeZone: 'UTC',
    ...extra,
  });
  return { ...result, dir: stagingDir, read: (name: string) => readFileSync(path.join(stagingDir, name)) };
}

describe('writeExport', () => {
  it('writes CSV rows equal to an independent reference, in ingestion order', async () => {
    const out = await write(spec({ format: 'csv' }));
    expect(out.files.map((f) => f.name)).toEqual(['ev_export/r1/ev_export-00001.csv']);
    const rows = parseCsv(out.read(out.files[0]!.name).toString('utf8'));
    expect(rows[0]).toEqual(['userid', 'event', 'ts', 'price', 'note']);
    expect(rows.slice(1)).toEqual(first.map(csvRow));
    expect(out.rows).toBe(first.length);
    expect(out.schema).toEqual([
      { name: 'userid', type: 'bigint', from: 'userid' },
      { name: 'event', type: 'string', from: 'event' },
      { name: 'ts', type: 'timestamp', from: 'ts' },
      { name: 'price', type: 'decimal(10,2)', from: 'amount' },
      { name: 'note', type: 'string', from: 'note' },
    ]);
    const f = out.files[0]!;
    expect(f.bytes).toBe(statSync(path.join(out.dir, f.name)).size);
    expect(f.sha256).toBe(sha256(path.join(out.dir, f.name)));
  });

  it('exports only rows ingested since the watermark, late events included, each once', async () => {
    const s = spec({
      format: 'ndjson',
      mode: 'incremental',
      type: 'segment',
      fields: ['userid', 'ts', 'note'],
    });
    const one = await write(s, { sinceSeq: 0 });
    expect(one.seqTo).toBe(first.length);
    const b = box.write('events/b.csv', eventsCsv(late));
    await ingestFiles(box.engine, eventsFlow, [fileRef(b)], {
      firstSeq: first.length + 1,
      rejectDir: box.rejects,
    });
    const two = await write(s, { sinceSeq: one.seqTo! });
    const three = await write(s, { sinceSeq: first.length + late.length });
    expect(three.files).toEqual([]);
    const lines = (o: typeof one) =>
      o
        .read(o.files[0]!.name)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const want = (e: Ev) => ({
      userid: e.userid,
      ts: new Date(e.ts).toISOString().slice(0, 19).replace('T', ' '),
      note: e.note === '' ? null : e.note,
    });
    expect(lines(one)).toEqual(first.map(want));
    expect(lines(two)).toEqual(late.map(want));
    expect(two.seqTo).toBe(first.length + late.length);
  });

  it('splits by event into exact maxRows chunks', async () => {
    const out = await write(
      spec({
        format: 'json',
        splitBy: 'event',
        chunk: { maxRows: 7 },
        from: { dataflow: 'events', events: ['buy', 'visit'] },
        path: '{export}/{event}/{runId}-{index}.{ext}',
      }),
    );
    const all = [...first, ...late];
    for (const event of ['buy', 'visit']) {
      const want = all.filter((e) => e.event === event);
      const files = out.files.filter((f) => f.event === event);
      expect(files.map((f) => f.name)).toEqual(
        Array.from(
          { length: Math.ceil(want.length / 7) },
          (_, i) => `ev_export/${event}/r1-${String(i + 1).padStart(5, '0')}.json`,
        ),
      );
      expect(files.map((f) => f.rows)).toEqual(files.map((_, i) => Math.min(7, want.length - 7 * i)));
      const rows = files.flatMap((f) => JSON.parse(out.read(f.name).toString('utf8')) as { price: number }[]);
      expect(rows.map((r) => r.price)).toEqual(want.map((e) => e.cents / 100));
    }
    expect(out.files.some((f) => f.event === 'add_to_cart')).toBe(false);
  });

  it.each(['csv', 'parquet'] as const)(
    'keeps %s files under maxBytes and every row exactly once',
    async (format) => {
      const maxBytes = format === 'csv' ? 4096 : 6000;
      const out = await write(spec({ format, chunk: { maxBytes } }));
      expect(out.files.length).toBeGreaterThan(2);
      for (const f of out.files) expect(f.bytes).toBeLessThanOrEqual(maxBytes);
      const all = [...first, ...late];
      if (format === 'csv') {
        const rows = out.files.flatMap((f) => parseCsv(out.read(f.name).toString('utf8')).slice(1));
        expect(rows).toEqual(all.map(csvRow));
      } else {
        const got = [];
        for (const f of out.files) {
          const rows = await box.engine.all('SELECT userid, price FROM read_parquet($1)', [
            path.join(out.dir, f.name),
          ]);
          expect(rows.length).toBe(f.rows);
          got.push(...rows);
        }
        expect(got).toEqual(all.map((e) => ({ userid: e.userid, price: (e.cents / 100).toFixed(2) })));
      }
    },
  );

  it('applies maxRows and maxBytes together', async () => {
    const out = await write(spec({ format: 'ndjson', chunk: { maxRows: 50, maxBytes: '4KB' } }));
    for (const f of out.files) {
      expect(f.rows).toBeLessThanOrEqual(50);
      expect(f.bytes).toBeLessThanOrEqual(4096);
    }
    expect(out.rows).toBe(first.length + late.length);
    const lines = out.files.flatMap((f) => out.read(f.name).toString('utf8').trim().split('\n'));
    expect(lines.map((l) => (JSON.parse(l) as { userid: number }).userid)).toEqual(
      [...first, ...late].map((e) => e.userid),
    );
  });

  it.each([
    ['parquet', 'zstd'],
    ['parquet', 'snappy'],
    ['csv', 'gzip'],
    ['json', 'none'],
    ['ndjson', 'zstd'],
    ['xml', 'gzip'],
    ['xml', 'none'],
  ] as const)('re-runs %s/%s byte-identically', async (format, compression) => {
    const s = spec({
      format,
      compression,
      splitBy: 'event',
      chunk: { maxRows: 100 },
      path: '{export}/{event}-{index}.{ext}',
    });
    const one = await write(s);
    const two = await write(s);
    expect(one.files.length).toBeGreaterThan(3);
    expect(two.files).toEqual(one.files);
    for (const f of one.files) expect(sha256(path.join(two.dir, f.name))).toBe(f.sha256);
    expect(readdirSync(one.dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('writes event XML in the CleverTap layout, escaped', async () => {
    const out = await write(spec({ format: 'xml', compression: 'gzip' }));
    const xml = gunzipSync(out.read(out.files[0]!.name)).toString('utf8');
    const all = [...first, ...late];
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n  <Event>\n')).toBe(true);
    expect(xml.match(/<Event>/g)?.length).toBe(all.length);
    const e = all[0]!;
    const ts = new Date(e.ts).toISOString().slice(0, 19).replace(/[-T:]/g, '');
    expect(xml).toContain(
      `<ts>${ts}</ts>\n    <eventName>${e.event}</eventName>\n    <profile>\n      <identity>${e.userid}</identity>\n    </profile>`,
    );
    expect(xml).toContain(
      '<key>note</key>\n        <value>&lt;tag attr="x"&gt;&amp;amp;&lt;/tag&gt;</value>',
    );
    expect(xml).not.toContain('<key>ts</key>');
    const notes = [...xml.matchAll(/<key>note<\/key>\n {8}<value>([^<]*)<\/value>/g)].map((m) => m[1]);
    const unescapeXml = (s: string) =>
      s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&#13;', '\r').replaceAll('&amp;', '&');
    expect(notes.map((n) => unescapeXml(n!))).toEqual(
      all.filter((x) => x.note !== null && x.note !== '').map((x) => x.note),
    );
  });

  it('exports an audience: members joined to people columns, ordered by person id', async () => {
    const audience = {
      kind: 'Audience' as const,
      name: 'buyers',
      people: 'users',
      events: 'events',
      conditions: [{ did: 'buy', within: '90d', atLeast: 3 }] as [
        { did: string; within: string; atLeast: number },
      ],
    };
    const out = await write(
      spec(
        { format: 'xml', type: 'segment', fields: ['userid', 'email'], from: { audience: 'buyers' } },
        {
          kind: 'audience',
          name: 'buyers',
          audience,
          people: usersFlow,
          events: eventsFlow,
        },
      ),
    );
    const all = [...first, ...late];
    const want = Array.from({ length: 60 }, (_, i) => i + 1).filter(
      (id) =>
        all.filter(
          (e) =>
            e.userid === id &&
            e.event === 'buy' &&
            e.ts <= NOW.getTime() &&
            e.ts > NOW.getTime() - 90 * 86_400_000,
        ).length >= 3,
    );
    const xml = out.read(out.files[0]!.name).toString('utf8');
    expect(xml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<records>\n${want.map((id) => `  <record>\n    <userid>${id}</userid>\n    <email>ü${id}@example.com</email>\n  </record>\n`).join('')}</records>\n`,
    );
    expect(out.schema).toBeUndefined();
  });

  it('chunks audience exports and draft runs from materialised rows', async () => {
    const audience = {
      kind: 'Audience' as const,
      name: 'all_users',
      people: 'users',
      conditions: [{ have: { trait: 'userid', op: '<=' as const, value: 9 } }] as [
        { have: { trait: string; op: '<='; value: number } },
      ],
    };
    const out = await write(
      spec(
        {
          format: 'csv',
          type: 'segment',
          fields: ['email'],
          chunk: { maxRows: 4 },
          from: { audience: 'all_users' },
        },
        {
          kind: 'audience',
          name: 'all_users',
          audience,
          people: usersFlow,
        },
      ),
    );
    expect(out.files.map((f) => [f.name, f.rows])).toEqual([
      ['ev_export/r1/ev_export-00001.csv', 4],
      ['ev_export/r1/ev_export-00002.csv', 4],
      ['ev_export/r1/ev_export-00003.csv', 1],
    ]);
    const emails = out.files.flatMap((f) =>
      parseCsv(out.read(f.name).toString('utf8'))
        .slice(1)
        .map((r) => r[0]),
    );
    expect(emails).toEqual(Array.from({ length: 9 }, (_, i) => `ü${i + 1}@example.com`));

    const stagingDir = path.join(box.staging, `run-${run++}`);
    const draft = await writeExportSpec(
      box.engine,
      spec({ format: 'csv', splitBy: 'event', path: '{event}-{index}.{ext}' }),
      {
        stagingDir,
        runId: 'd',
        now: NOW,
        timeZone: 'UTC',
        limitRows: 10,
      },
    );
    expect(draft.rows).toBe(10);
    const rows = draft.files.flatMap((f) =>
      parseCsv(readFileSync(path.join(stagingDir, f.name), 'utf8')).slice(1),
    );
    const firstTen = first.slice(0, 10);
    expect(rows).toEqual(
      EVENTS.slice()
        .sort()
        .flatMap((e) => firstTen.filter((x) => x.event === e).map(csvRow)),
    );
  });

  it('writes the XML event layout from materialised rows (drafts) the same way', async () => {
    const stagingDir = path.join(box.staging, `run-${run++}`);
    const draft = await writeExportSpec(box.engine, spec({ format: 'xml' }), {
      stagingDir,
      runId: 'd',
      now: NOW,
      timeZone: 'UTC',
      limitRows: 3,
    });
    const full = await write(spec({ format: 'xml' }));
    const xml = readFileSync(path.join(stagingDir, draft.files[0]!.name), 'utf8');
    const events = (text: string) => text.split('  <Event>\n').slice(1);
    expect(events(xml)).toHaveLength(3);
    expect(events(xml).map((e) => e.replace('  </Event>\n</Events>\n', '  </Event>\n'))).toEqual(
      events(full.read(full.files[0]!.name).toString('utf8')).slice(0, 3),
    );
  });

  it('resolves the source from the model and counts rows before writing', async () => {
    const model: Model = emptyModel();
    const node = <K extends keyof KindMap>(kind: K, name: string, config: KindMap[K]) =>
      ({
        kind,
        name,
        address: `${kind}/${name}`,
        config,
        file: 'x.yaml',
        locate: () => ({ file: 'x.yaml', line: 1, column: 1 }),
      }) as unknown as ResourceNode<K>;
    model.resources.Dataflow.set('events', node('Dataflow', 'events', eventsFlow.config));
    const exp = node(
      'Export',
      'buys',
      spec({ format: 'ndjson', mode: 'incremental', from: { dataflow: 'events', events: ['buy'] } }).config,
    );
    model.resources.Export.set('buys', exp);
    const since = 100;
    const until = first.length + 50;
    const want = [...first, ...late].filter((e, i) => e.event === 'buy' && i + 1 > since && i + 1 <= until);
    expect(
      await countExportRows(box.engine, spec(exp.config), { now: NOW, sinceSeq: since, untilSeq: until }),
    ).toBe(want.length);
    const stagingDir = path.join(box.staging, `run-${run++}`);
    const out = await writeExport(box.engine, model, exp, {
      stagingDir,
      runId: 'm',
      now: NOW,
      sinceSeq: since,
      untilSeq: until,
    });
    expect(out.rows).toBe(want.length);
    expect(out.seqTo).toBeLessThanOrEqual(until);
  });

  it('syncFiles fsyncs each file once and changes neither its bytes nor its sha256', async () => {
    const s = spec({ format: 'csv', chunk: { maxRows: 150 } });
    const plain = await syncedInodes(() => write(s));
    const synced = await syncedInodes(() => write(s, { syncFiles: true }));
    expect(plain.inodes).toEqual([]);
    const files = synced.result.files;
    expect(files.length).toBeGreaterThan(1);
    expect(files).toEqual(plain.result.files);
    for (const f of files) {
      expect(synced.result.read(f.name)).toEqual(plain.result.read(f.name));
      expect(f.sha256).toBe(sha256(path.join(synced.result.dir, f.name)));
    }
    const inodes = files.map((f) => statSync(path.join(synced.result.dir, f.name)).ino);
    expect(synced.inodes.sort()).toEqual(inodes.sort());
  });

  it('refuses a path template that would give two files one name', async () => {
    await expect(
      write(spec({ format: 'csv', chunk: { maxRows: 100 }, path: '{export}/data.{ext}' })),
    ).rejects.toMatchObject({
      code: 'export-path-collision',
    });
  });
});
