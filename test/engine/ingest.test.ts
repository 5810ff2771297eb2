import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutflowError } from '../../src/diagnostics/index.js';
import { ingestFiles } from '../../src/engine/index.js';
import { numberDirect } from '../../src/engine/ingest-direct.js';
import { csv, dataflow, fileRef, parseCsv, random, type Sandbox, sandbox } from './data-support.js';

let box: Sandbox;
beforeEach(async () => {
  box = await sandbox();
});
afterEach(async () => {
  await box.close();
});

const NAMES = ['Zoë', "O'Brien", 'Smith, Jr.', 'say "hi"', '日本語', 'Ünïcödé', 'plain', 'new\nline'];
const OFFSETS = ['Z', '+02:00', '-05:30', '', '+14:00'];

interface User {
  id: string;
  email: string | null;
  first: string;
  last: string;
  signup: Date;
  offset: string;
  score: string;
}

function users(seed: number, count: number, firstId: number): User[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    id: rnd() < 0.05 ? `x${i}` : String(firstId + i),
    email: rnd() < 0.08 ? null : `u${firstId + i}@example.com`,
    first: pick(NAMES),
    last: pick(NAMES),
    signup: new Date(Date.UTC(2024, 0, 1) + Math.floor(rnd() * 365 * 86_400) * 1000),
    offset: pick(OFFSETS),
    score: rnd() < 0.05 ? 'n/a' : (Math.floor(rnd() * 100_000) / 100).toFixed(2),
  }));
}

/** The timestamp text with an offset: local wall time = UTC + offset. */
function withOffset(d: Date, offset: string): string {
  if (offset === '') return d.toISOString().slice(0, 19).replace('T', ' ');
  if (offset === 'Z') return `${d.toISOString().slice(0, 19)}Z`;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const local = new Date(d.getTime() + sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000);
  return local.toISOString().slice(0, 19) + offset;
}

function usersCsv(rows: User[]): string {
  return csv(
    ['id', 'email', 'first_name', 'last_name', 'signup_at', 'score'],
    rows.map((u) => [u.id, u.email, u.first, u.last, withOffset(u.signup, u.offset), u.score]),
  );
}

const flow = (extra: Parameters<typeof dataflow>[2] = {}) =>
  dataflow(
    'users',
    [
      { name: 'userid', type: 'integer', from: 'id', mandatory: true },
      { name: 'email', type: 'string', mandatory: true },
      { name: 'full_name', type: 'string', expr: "first_name || ' ' || last_name" },
      { name: 'signup', type: 'timestamp', from: 'signup_at' },
      { name: 'score', type: 'decimal(10,2)' },
    ],
    { schema: { personIdentifier: 'userid' }, ...extra },
  );

function expected(rows: User[], firstSeq = 1) {
  return rows
    .map((u, i) => ({ u, seq: firstSeq + i }))
    .filter(({ u }) => /^\d+$/.test(u.id) && u.email !== null && u.score !== 'n/a')
    .map(({ u, seq }) => ({
      _seq: seq,
      userid: Number(u.id),
      email: u.email,
      full_name: `${u.first} ${u.last}`,
      signup: u.signup.toISOString(),
      score: u.score,
    }));
}

const select = 'SELECT _seq, userid, email, full_name, signup, score FROM ds_users ORDER BY _seq';

describe('ingestFiles', () => {
  it('casts, maps and rejects generated CSV rows like an independent reference', async () => {
    const a = users(1, 400, 1);
    const b = users(2, 300, 1000);
    const files = [box.write('users/a.csv', usersCsv(a)), box.write('users/b.csv', usersCsv(b))].map(fileRef);
    const result = await ingestFiles(box.engine, flow(), files, { firstSeq: 11, rejectDir: box.rejects });
    // One sequence number per record, in file order: rejected records leave gaps.
    const want = expected([...a, ...b], 11);
    expect(await box.engine.all(select)).toEqual(want);
    expect(result.rows).toBe(want.length);
    expect(result.rejected).toBe(700 - want.length);
    expect(result.lastSeq).toBe(10 + 700);
    expect(result.perFile.map((f) => [f.rows + f.rejected, f.seqFrom, f.seqTo])).toEqual([
      [400, 11, 410],
      [300, 411, 710],
    ]);

    // The report: one line per invalid (row, column), with the file and the record's line.
    const report = parseCsv(readFileSync(result.rejectReport!, 'utf8'));
    expect(report[0]).toEqual(['file', 'line', 'column', 'reason', 'value']);
    const wantReport = [
      [files[0]!.path, a],
      [files[1]!.path, b],
    ].flatMap(([file, rows]) =>
      (rows as User[]).flatMap((u, i) => {
        const line = String(i + 2);
        const out: string[][] = [];
        if (!/^\d+$/.test(u.id))
          out.push([file as string, line, 'userid', 'cannot convert to integer', u.id]);
        if (u.email === null) out.push([file as string, line, 'email', 'missing mandatory value', '']);
        if (u.score === 'n/a')
          out.push([file as string, line, 'score', 'cannot convert to decimal(10,2)', 'n/a']);
        return out;
      }),
    );
    expect(report.slice(1)).toEqual(wantReport);
  });

  it('numbers lines and sequences in file order for a large file read in parallel', async () => {
    const lines = ['id,v'];
    for (let i = 1; i <= 300_000; i++)
      lines.push(`${i},${i % 7 === 0 ? 'x' : 'value-with-some-padding-to-make-the-file-larger'}`);
    const file = box.write('big/a.csv', `${lines.join('\n')}\n`);
    const big = dataflow('big', [
      { name: 'id', type: 'integer' },
      { name: 'v', type: 'string' },
    ]);
    const result = await ingestFiles(box.engine, big, [fileRef(file)], {
      firstSeq: 1000,
      rejectDir: box.rejects,
    });
    expect(result.rows).toBe(300_000);
    expect(
      await box.engine.all(
        'SELECT count(*) FILTER (WHERE _line <> id + 1 OR _seq <> 999 + id) AS wrong, min(_seq) AS lo, max(_seq) AS hi FROM ds_big',
      ),
    ).toEqual([{ wrong: 0, lo: 1000, hi: 300_999 }]);
  });

  it('reads Parquet, CSV and NDJSON in one pass, numbered in file order, stored in _seq order', async () => {
    // Large enough for DuckDB to read each file in parallel (several row groups and CSV buffers).
    const n = 250_000;
    const src = `(SELECT i::BIGINT AS id, (i % 1000)::INTEGER AS u, 'e' || (i % 7) AS event, TIMESTAMP '2026-01-01' + to_seconds(i) AS ts, CASE WHEN i % 3 = 0 THEN NULL ELSE i / 100 END AS price FROM range(${n}) t(i))`;
    const files = {
      parquet: `${box.data}/d/e.parquet`,
      csv: `${box.data}/d/e.csv`,
      ndjson: `${box.data}/d/e.ndjson`,
    };
    box.write('d/.keep', '');
    await box.engine.run(`COPY ${src} TO '${files.parquet}' (FORMAT parquet, ROW_GROUP_SIZE 20000)`);
    await box.engine.run(`COPY ${src} TO '${files.csv}' (FORMAT csv, HEADER)`);
    await box.engine.run(`COPY ${src} TO '${files.ndjson}' (FORMAT json)`);
    for (const [format, file] of Object.entries(files)) {
      const name = `direct_${format}`;
      const events = dataflow(name, [
        { name: 'id', type: 'bigint', mandatory: true },
        { name: 'userid', type: 'integer', from: 'u' },
        { name: 'event', type: 'string' },
        { name: 'ts', type: 'timestamp' },
        { name: 'price', type: 'double' },
      ]);
      const result = await ingestFiles(box.engine, events, [fileRef(file)], {
        firstSeq: 7,
        rejectDir: box.rejects,
      });
      expect(result, format).toMatchObject({ rows: n, rejected: 0, lastSeq: n + 6 });
      const line0 = format === 'csv' ? 2 : 1;
      // _seq and _line follow the records, and the table's own order (no ORDER BY) is _seq order.
      const [check] = await box.engine.all(
        `SELECT count(*) FILTER (WHERE _seq <> id + 7 OR _line <> id + ${line0} OR userid <> id % 1000 OR ts <> TIMESTAMP '2026-01-01' + to_seconds(id) OR (price IS NULL) <> (id % 3 = 0)) AS wrong, count(*) FILTER (WHERE prev IS NOT NULL AND _seq <> prev + 1) AS unordered FROM (SELECT *, lag(_seq) OVER () AS prev FROM "ds_${name}")`,
      );
      expect(check, format).toEqual({ wrong: 0, unordered: 0 });
    }
  });

  it('fails with nothing written when onInvalid is fail', async () => {
    const file = fileRef(box.write('users/a.csv', usersCsv(users(3, 50, 1))));
    await expect(
      ingestFiles(box.engine, flow({ onInvalid: 'fail' }), [file], { firstSeq: 1, rejectDir: box.rejects }),
    ).rejects.toMatchObject({ code: 'ingest-invalid-rows', message: expect.stringContaining('a.csv:') });
    expect(
      await box.engine.all(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'ds_users'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('appends, overwrites and upserts', async () => {
    const v1 = box.write(
      'users/1.csv',
      'id,email,first_name,last_name,signup_at,score\n1,a@x,A,A,2024-01-01,1\n2,b@x,B,B,2024-01-01,2\n',
    );
    const v2 = box.write(
      'users/2.csv',
      'id,email,first_name,last_name,signup_at,score\n2,b2@x,B,B,2024-01-02,3\n3,c@x,C,C,2024-01-02,4\n2,b3@x,B,B,2024-01-03,5\n',
    );
    const emails = async () =>
      (await box.engine.all('SELECT email FROM ds_users ORDER BY _seq')).map((r) => r.email);
    const opts = (firstSeq: number) => ({ firstSeq, rejectDir: box.rejects });

    const r1 = await ingestFiles(box.engine, flow(), [fileRef(v1)], opts(1));
    await ingestFiles(box.engine, flow(), [fileRef(v2)], opts(r1.lastSeq + 1));
    expect(await emails()).toEqual(['a@x', 'b@x', 'b2@x', 'c@x', 'b3@x']);

    const over = flow({ writeMode: 'overwrite' });
    const r3 = await ingestFiles(box.engine, over, [fileRef(v2)], opts(100));
    expect(await emails()).toEqual(['b2@x', 'c@x', 'b3@x']);
    expect(r3.lastSeq).toBe(102);

    await box.engine.run('DROP TABLE ds_users');
    const up = flow({ writeMode: 'upsert' });
    const u1 = await ingestFiles(box.engine, up, [fileRef(v1)], opts(1));
    await ingestFiles(box.engine, up, [fileRef(v2)], opts(u1.lastSeq + 1));
    expect(await box.engine.all('SELECT userid, email, _seq FROM ds_users ORDER BY userid')).toEqual([
      { userid: 1, email: 'a@x', _seq: 1 },
      { userid: 2, email: 'b3@x', _seq: 5 },
      { userid: 3, email: 'c@x', _seq: 4 },
    ]);
  });

  it('re-ingests files whose earlier ingest was never recorded in state, without duplicates', async () => {
    const v1 = box.write('users/1.csv', 'id,email,first_name,last_name,signup_at,score\n1,a@x,A,A,,\n');
    const v2 = box.write(
      'users/2.csv',
      'id,email,first_name,last_name,signup_at,score\n2,b@x,B,B,,\n3,c@x,C,C,,\n',
    );
    const r1 = await ingestFiles(box.engine, flow(), [fileRef(v1)], { firstSeq: 1, rejectDir: box.rejects });
    // The ingest of v2 commits, then the process dies before state records it (ingestSeq stays 1).
    await ingestFiles(box.engine, flow(), [fileRef(v2)], {
      firstSeq: r1.lastSeq + 1,
      rejectDir: box.rejects,
    });
    const again = await ingestFiles(box.engine, flow(), [fileRef(v2)], {
      firstSeq: r1.lastSeq + 1,
      rejectDir: box.rejects,
    });
    expect(again.discarded).toBe(2);
    expect(await box.engine.all('SELECT userid, _seq FROM ds_users ORDER BY _seq')).toEqual([
      { userid: 1, _seq: 1 },
      { userid: 2, _seq: 2 },
      { userid: 3, _seq: 3 },
    ]);
  });

  it('numbers each file of a mixed ingest in its own range: direct CSV and NDJSON, a staged file with rejects', async () => {
    const header = 'id,email,first_name,last_name,signup_at,score\n';
    const a = box.write('users/a.csv', `${header}1,a@x,A,A,,1\n2,b@x,B,B,,2\n`);
    // Row 2 has no email (mandatory): this file goes through the staged path and leaves a gap.
    const b = box.write('users/b.csv', `${header}3,c@x,C,C,,3\n4,,D,D,,4\n5,e@x,E,E,,5\n`);
    const c = box.write(
      'users/c.ndjson',
      [
        '{"id":"6","email":"f@x","first_name":"F","last_name":"F","signup_at":null,"score":null}',
        '{"id":"7","email":"g@x","first_name":"G","last_name":"G","signup_at":null,"score":null}',
      ].join('\n'),
    );
    const result = await ingestFiles(box.engine, flow(), [a, b, c].map(fileRef), {
      firstSeq: 10,
      rejectDir: box.rejects,
    });
    expect(result.perFile.map((f) => [f.rows, f.rejected, f.seqFrom, f.seqTo])).toEqual([
      [2, 0, 10, 11],
      [2, 1, 12, 14],
      [2, 0, 15, 16],
    ]);
    expect(await box.engine.all('SELECT userid, _seq, _line FROM ds_users ORDER BY _seq')).toEqual([
      { userid: 1, _seq: 10, _line: 2 },
      { userid: 2, _seq: 11, _line: 3 },
      { userid: 3, _seq: 12, _line: 2 },
      { userid: 5, _seq: 14, _line: 4 },
      { userid: 6, _seq: 15, _line: 1 },
      { userid: 7, _seq: 16, _line: 2 },
    ]);
  });

  it('removes rows an ingest committed but never numbered (a crash between its two transactions)', async () => {
    const header = 'id,email,first_name,last_name,signup_at,score\n';
    const v1 = box.write('users/1.csv', `${header}1,a@x,A,A,,\n`);
    const v2 = box.write('users/2.csv', `${header}2,b@x,B,B,,\n3,c@x,C,C,,\n`);
    await ingestFiles(box.engine, flow(), [fileRef(v1)], { firstSeq: 1, rejectDir: box.rejects });
    // What the first transaction of v2's ingest leaves when the process dies before the second.
    await box.engine.run(
      "INSERT INTO ds_users (userid, email, _seq, _file, _line) VALUES (2, 'b@x', NULL, 'users/2.csv', 0), (3, 'c@x', NULL, 'users/2.csv', 0)",
    );
    const again = await ingestFiles(box.engine, flow(), [fileRef(v2)], {
      firstSeq: 2,
      rejectDir: box.rejects,
    });
    expect(again.discarded).toBe(2);
    expect(await box.engine.all('SELECT userid, _seq FROM ds_users ORDER BY _seq')).toEqual([
      { userid: 1, _seq: 1 },
      { userid: 2, _seq: 2 },
      { userid: 3, _seq: 3 },
    ]);
  });

  it('numbers unnumbered rows in rowid order when their rowids are not contiguous', async () => {
    await box.engine.run('CREATE TABLE ds_t (v INTEGER, _seq BIGINT, _file VARCHAR, _line BIGINT)');
    // Two files' rows interleaved: neither file's rowids are contiguous.
    await box.engine.run(
      "INSERT INTO ds_t SELECT i, NULL, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, 0 FROM range(10) r(i)",
    );
    await numberDirect(box.engine, 't', { label: 'a', firstSeq: 100, line0: 2 });
    await numberDirect(box.engine, 't', { label: 'b', firstSeq: 200, line0: 1 });
    expect(await box.engine.all('SELECT v, _seq, _line FROM ds_t ORDER BY rowid')).toEqual(
      Array.from({ length: 10 }, (_, v) => ({
        v,
        _seq: (v % 2 === 0 ? 100 : 200) + Math.floor(v / 2),
        _line: (v % 2 === 0 ? 2 : 1) + Math.floor(v / 2),
      })),
    );
  });

  it('reads JSON arrays, NDJSON and Parquet', async () => {
    const events = dataflow('ev', [
      { name: 'userid', type: 'bigint', mandatory: true },
      { name: 'ts', type: 'timestamp' },
      { name: 'props', type: 'json' },
      { name: 'ok', type: 'boolean' },
    ]);
    const nd = box.write(
      'ev/a.ndjson',
      '{"userid":1,"ts":"2024-05-01T10:00:00+02:00","props":{"a":[1,"x"]},"ok":true}\n{"userid":"2","ok":"false"}\n',
    );
    const arr = box.write(
      'ev/b.json',
      '[{"userid":3,"ts":"2024-05-01 08:00:00","props":"just text","ok":null}]',
    );
    await box.engine.run(
      `COPY (SELECT 4::BIGINT AS userid, TIMESTAMPTZ '2024-05-01 12:00:00+04' AS ts, {'k': 1} AS props, true AS ok) TO '${box.data}/ev/c.parquet' (FORMAT parquet)`,
    );
    const result = await ingestFiles(box.engine, events, [nd, arr, `${box.data}/ev/c.parquet`].map(fileRef), {
      firstSeq: 1,
      rejectDir: box.rejects,
    });
    expect(result.rejected).toBe(1); // "just text" is not JSON
    // Appending again to the existing table (its column types read back the same).
    const again = await ingestFiles(box.engine, events, [fileRef(nd)], {
      firstSeq: 10,
      rejectDir: box.rejects,
    });
    expect(again.rows).toBe(2);
    await box.engine.run('DELETE FROM ds_ev WHERE _seq >= 10');
    expect(
      await box.engine.all('SELECT userid, ts, props::VARCHAR AS props, ok FROM ds_ev ORDER BY _seq'),
    ).toEqual([
      { userid: 1, ts: '2024-05-01T08:00:00.000Z', props: '{"a":[1,"x"]}', ok: true },
      { userid: 2, ts: null, props: null, ok: false },
      { userid: 4, ts: '2024-05-01T08:00:00.000Z', props: '{"k":1}', ok: true },
    ]);
  });

  it('honours CSV options: no header, delimiter, quote, null string, skipped lines', async () => {
    const file = box.write('opts/a.txt', "# exported by X\n7|'a|b'|NULL\n8|'it''s'|x\n");
    const opts = dataflow(
      'opts',
      [
        { name: 'id', type: 'integer', from: 'column0' },
        { name: 'label', type: 'string', from: 'column1' },
        { name: 'extra', type: 'string', from: 'column2' },
      ],
      {
        source: {
          type: 'streamFile',
          path: 'data/opts/*',
          format: 'csv',
          csv: { header: false, delimiter: '|', quote: "'", escape: "'", nullString: 'NULL', skipRows: 1 },
        },
      },
    );
    const result = await ingestFiles(box.engine, opts, [fileRef(file)], {
      firstSeq: 1,
      rejectDir: box.rejects,
    });
    expect(result.rows).toBe(2);
    expect(await box.engine.all('SELECT id, label, extra, _line FROM ds_opts ORDER BY _seq')).toEqual([
      { id: 7, label: 'a|b', extra: null, _line: 2 },
      { id: 8, label: "it's", extra: 'x', _line: 3 },
    ]);
  });

  it('names the file and suggests the column when a source column is missing', async () => {
    const file = box.write('users/a.csv', 'id,emial,first_name,last_name,signup_at,score\n1,a@x,A,B,,\n');
    await expect(
      ingestFiles(box.engine, flow(), [fileRef(file)], { firstSeq: 1, rejectDir: box.rejects }),
    ).rejects.toMatchObject({
      code: 'ingest-missing-column',
      message: expect.stringContaining('a.csv has no column "email"'),
      hint: 'did you mean "emial"?',
    });
    const exprFlow = dataflow('users', [{ name: 'n', type: 'string', expr: "frist_name || 'x'" }]);
    const ok = box.write('users/b.csv', 'first_name\nA\n');
    await expect(
      ingestFiles(box.engine, exprFlow, [fileRef(ok)], { firstSeq: 1, rejectDir: box.rejects }),
    ).rejects.toMatchObject({
      code: 'ingest-missing-column',
      hint: 'did you mean "first_name"?',
    });
  });

  it('names a malformed file', async () => {
    const bad = box.write('ev/bad.ndjson', '{"userid": 1}\n{"userid": \n');
    const flowJson = dataflow('ev', [{ name: 'userid', type: 'bigint' }]);
    await expect(
      ingestFiles(box.engine, flowJson, [fileRef(bad)], { firstSeq: 1, rejectDir: box.rejects }),
    ).rejects.toMatchObject({
      code: 'ingest-unreadable-file',
      message: expect.stringContaining('bad.ndjson'),
    });
  });

  it('turns an error nobody wrapped into an ingest error with a hint, and writes nothing', async () => {
    const file = box.write('users/a.csv', 'id\n1\nnot a number\n');
    const idFlow = dataflow('users', [{ name: 'id', type: 'integer', mandatory: true }]);
    // The reject report's folder cannot be created: a file stands where it should go.
    const blocked = path.join(box.rejects, 'users');
    writeFileSync(blocked, '');
    const attempt = ingestFiles(box.engine, idFlow, [fileRef(file)], {
      firstSeq: 1,
      rejectDir: path.join(blocked, 'reports'),
    });
    await expect(attempt).rejects.toBeInstanceOf(OutflowError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ingest-failed',
      message: expect.stringMatching(/^dataflow "users": ingest failed, nothing was ingested: ENOTDIR/),
      hint: expect.stringContaining('run apply again'),
    });
    expect(
      await box.engine.all(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'ds_users'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('keeps user expressions locked down during ingest', async () => {
    const file = box.write('users/a.csv', 'id\n1\n');
    // An unchecked expression spliced into the ingest query still cannot read outside the
    // allowed folders: the engine's lockdown holds during ingest.
    const cases = [
      ["(SELECT content FROM read_text('/etc/passwd'))", 'engine_access_denied'],
      [
        "(SELECT string_agg(column0, ',') FROM read_csv('/etc/passwd', header = false))",
        'engine_access_denied',
      ],
      ["read_text('/etc/passwd')", 'ingest-failed'],
    ];
    for (const [expr, code] of cases) {
      const evil = dataflow('users', [{ name: 'x', type: 'string', expr: expr! }]);
      const attempt = ingestFiles(box.engine, evil, [fileRef(file)], { firstSeq: 1, rejectDir: box.rejects });
      await expect(attempt).rejects.toMatchObject({ code });
      await attempt.catch((error: Error) => expect(error.message).not.toContain('root:'));
    }
    expect(
      await box.engine.all(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'ds_users'",
      ),
    ).toEqual([{ n: 0 }]);
  });
});
