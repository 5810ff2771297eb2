import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceMembers, audienceSql, ingestFiles, previewAudience } from '../../src/engine/index.js';
import type { Audience, Condition } from '../../src/schema/index.js';
import { csv, dataflow, fileRef, random, type Sandbox, sandbox } from './data-support.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const COUNTRIES = ['FR', 'DE', 'US', '日本', null];
const EVENTS = ['buy', 'visit', 'add_to_cart'];
const CATEGORIES = ['Watches', 'Shoes', 'Bags'];

interface Person {
  id: number;
  country: string | null;
  age: number | null;
  vip: boolean;
}
interface Event {
  id: number;
  event: string;
  ts: number;
  cents: number;
  category: string;
}

const rnd = random(42);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
const people: Person[] = Array.from({ length: 300 }, (_, i) => ({
  id: i + 1,
  country: pick(COUNTRIES),
  age: rnd() < 0.1 ? null : 18 + Math.floor(rnd() * 60),
  vip: rnd() < 0.3,
}));
const events: Event[] = Array.from({ length: 6000 }, () => ({
  id: 1 + Math.floor(rnd() * 320), // some events belong to nobody in people
  event: pick(EVENTS),
  ts: NOW.getTime() - Math.floor(rnd() * 120 * DAY) + 5 * DAY * (rnd() < 0.03 ? 1 : 0),
  cents: Math.floor(rnd() * 9000) + 1,
  category: pick(CATEGORIES),
}));

const usersFlow = dataflow(
  'users',
  [
    { name: 'userid', type: 'integer', mandatory: true },
    { name: 'country', type: 'string' },
    { name: 'age', type: 'integer' },
    { name: 'vip', type: 'boolean' },
  ],
  { schema: { personIdentifier: 'userid' } },
);
const eventsFlow = dataflow(
  'events',
  [
    { name: 'userid', type: 'bigint', mandatory: true },
    { name: 'event', type: 'string', mandatory: true },
    { name: 'ts', type: 'timestamp', mandatory: true },
    { name: 'price', type: 'double' },
    { name: 'category', type: 'string' },
  ],
  { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
);

// ---- The reference: plain JS over the generated data. ----
type Pred = (p: Person) => boolean;
const days = (w: string | undefined) =>
  w === undefined ? Number.POSITIVE_INFINITY : Number(w.slice(0, -1)) * DAY;
function matching(p: Person, event: string, within?: string): Event[] {
  return events.filter(
    (e) => e.id === p.id && e.event === event && e.ts <= NOW.getTime() && e.ts > NOW.getTime() - days(within),
  );
}
function cmp(left: number | string | boolean | null, op: string, value: unknown): boolean {
  const l = left as number;
  if (op === 'is null') return left === null;
  if (op === 'is not null') return left !== null;
  if (left === null) return false;
  const values = Array.isArray(value) ? value : [value];
  const v = value as number;
  switch (op) {
    case '=':
      return left === v;
    case '!=':
      return left !== v;
    case '<':
      return l < v;
    case '<=':
      return l <= v;
    case '>':
      return l > v;
    case '>=':
      return l >= v;
    case 'in':
      return values.includes(left);
    case 'not in':
      return !values.includes(left);
  }
  throw new Error(op);
}
function reference(c: Condition): Pred {
  if ('all' in c) return (p) => c.all.every((x) => reference(x)(p));
  if ('any' in c) return (p) => c.any.some((x) => reference(x)(p));
  if ('did' in c) return (p) => matching(p, c.did, c.within).length >= (c.atLeast ?? 1);
  if ('didNot' in c) return (p) => matching(p, c.didNot, c.within).length === 0;
  const h = c.have;
  if ('trait' in h) return (p) => cmp(p[h.trait as keyof Person] as never, h.op, h.value);
  if ('aggregate' in h)
    return (p) => {
      const es = matching(p, h.event, h.within);
      if (h.aggregate === 'count') return cmp(es.length, h.op, h.value);
      if (es.length === 0) return cmp(null, h.op, h.value);
      const cents = es.map((e) => e.cents);
      const sum = cents.reduce((a, b) => a + b, 0);
      const agg = {
        sum: sum / 100,
        avg: sum / 100 / es.length,
        min: Math.min(...cents) / 100,
        max: Math.max(...cents) / 100,
      };
      return cmp(agg[h.aggregate], h.op, h.value);
    };
  return (p) => {
    const counts = new Map<string, number>();
    for (const e of matching(p, h.event, h.within)) counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
    return cmp(top, h.op, h.value);
  };
}

const audience = (conditions: Condition[], match: 'all' | 'any' = 'all'): Audience => ({
  kind: 'Audience',
  name: 'a',
  people: 'users',
  events: 'events',
  match,
  conditions: conditions as Audience['conditions'],
});

const CASES: [string, Audience][] = [
  ['did atLeast within', audience([{ did: 'buy', within: '30d', atLeast: 2 }])],
  [
    'didNot and trait in',
    audience([
      { didNot: 'add_to_cart', within: '7d' },
      { have: { trait: 'country', op: 'in', value: ['FR', 'DE'] } },
    ]),
  ],
  [
    'sum over a window',
    audience([
      { have: { aggregate: 'sum', of: 'price', event: 'buy', within: '90d', op: '>', value: 250.5 } },
    ]),
  ],
  [
    'top value',
    audience([{ have: { top: 'category', event: 'visit', within: '30d', op: '=', value: 'Watches' } }]),
  ],
  [
    'nested any/all and is null',
    audience(
      [
        { all: [{ did: 'visit', within: '7d' }, { have: { trait: 'age', op: '>=', value: 30 } }] },
        { have: { trait: 'age', op: 'is null' } },
      ],
      'any',
    ),
  ],
  [
    'count, max, avg, min',
    audience([
      { have: { aggregate: 'count', event: 'visit', within: '14d', op: '<', value: 3 } },
      {
        any: [
          { have: { aggregate: 'max', of: 'price', event: 'buy', op: '>=', value: 85.5 } },
          { have: { aggregate: 'avg', of: 'price', event: 'buy', within: '60d', op: '<', value: 30 } },
        ],
      },
      { have: { aggregate: 'min', of: 'price', event: 'add_to_cart', op: '<=', value: 40 } },
    ]),
  ],
  [
    '!=, not in, boolean, all time',
    audience([
      { have: { trait: 'country', op: '!=', value: 'FR' } },
      { have: { trait: 'country', op: 'not in', value: ['DE'] } },
      { have: { trait: 'vip', op: '=', value: true } },
      { did: 'buy' },
    ]),
  ],
  [
    'is not null, <, didNot all time',
    audience([
      { have: { trait: 'age', op: 'is not null' } },
      { have: { trait: 'age', op: '<', value: 25 } },
      { didNot: 'add_to_cart', within: '20d' },
    ]),
  ],
];

let box: Sandbox;
beforeAll(async () => {
  box = await sandbox();
  const iso = (ms: number) => new Date(ms).toISOString();
  const u = box.write(
    'users/u.csv',
    csv(
      ['userid', 'country', 'age', 'vip'],
      people.map((p) => [String(p.id), p.country, p.age === null ? null : String(p.age), String(p.vip)]),
    ),
  );
  const e = box.write(
    'events/e.csv',
    csv(
      ['userid', 'event', 'ts', 'price', 'category'],
      events.map((x) => [String(x.id), x.event, iso(x.ts), (x.cents / 100).toFixed(2), x.category]),
    ),
  );
  await ingestFiles(box.engine, usersFlow, [fileRef(u)], { firstSeq: 1, rejectDir: box.rejects });
  await ingestFiles(box.engine, eventsFlow, [fileRef(e)], { firstSeq: 1, rejectDir: box.rejects });
});
afterAll(async () => {
  await box.close();
});

describe('audiences', () => {
  it.each(CASES)('%s matches the JS reference', async (_label, a) => {
    const want = people
      .filter(reference({ [a.match ?? 'all']: a.conditions } as unknown as Condition))
      .map((p) => p.id);
    const got = await audienceMembers(box.engine, a, usersFlow, eventsFlow, NOW);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(people.length);
    expect(got).toEqual(want);
  });

  it('binds every value and quotes every identifier', () => {
    const q = audienceSql(CASES[1]![1], usersFlow, eventsFlow, NOW);
    expect(q.sql).toContain(
      'FROM "ds_events" WHERE "event" = $1 AND "ts" <= CAST($2 AS TIMESTAMP) AND "ts" > CAST($3 AS TIMESTAMP)',
    );
    expect(q.sql).toContain(
      'coalesce(CAST(p."country" AS VARCHAR) IN (CAST($4 AS VARCHAR), CAST($5 AS VARCHAR)), false)',
    );
    expect(q.params).toEqual([
      'add_to_cart',
      '2025-03-01 12:00:00.000',
      '2025-02-22 12:00:00.000',
      'FR',
      'DE',
    ]);
    expect(q.sql).toMatch(/ORDER BY person_id$/);
  });

  it('previews the count and a sample of people rows', async () => {
    const a = CASES[0]![1];
    const preview = await previewAudience(box.engine, a, usersFlow, eventsFlow, NOW, 3);
    const want = people.filter(reference({ all: a.conditions }));
    expect(preview.count).toBe(want.length);
    expect(preview.sample.map((r) => r.userid)).toEqual(want.slice(0, 3).map((p) => p.id));
    expect(Object.keys(preview.sample[0]!)).toEqual(['userid', 'country', 'age', 'vip', '_seq']);
  });

  it('names an unknown column with a did-you-mean', () => {
    expect(() =>
      audienceSql(
        audience([{ have: { trait: 'contry', op: '=', value: 'FR' } }]),
        usersFlow,
        eventsFlow,
        NOW,
      ),
    ).toThrow(expect.objectContaining({ code: 'audience-unknown-column', hint: 'did you mean "country"?' }));
  });

  it('judges traits on the latest row per person (append keeps history)', async () => {
    const flow = dataflow(
      'people2',
      [
        { name: 'userid', type: 'integer' },
        { name: 'country', type: 'string' },
      ],
      { schema: { personIdentifier: 'userid' } },
    );
    const v1 = box.write('people2/1.csv', 'userid,country\n1,FR\n2,FR\n');
    const v2 = box.write('people2/2.csv', 'userid,country\n1,DE\n');
    const r1 = await ingestFiles(box.engine, flow, [fileRef(v1)], { firstSeq: 1, rejectDir: box.rejects });
    await ingestFiles(box.engine, flow, [fileRef(v2)], { firstSeq: r1.lastSeq + 1, rejectDir: box.rejects });
    const fr = { ...audience([{ have: { trait: 'country', op: '=', value: 'FR' } }]), people: 'people2' };
    expect(await audienceMembers(box.engine, fr, flow, undefined, NOW)).toEqual([2]);
    await expect(
      audienceMembers(box.engine, audience([{ did: 'buy' }]), flow, undefined, NOW),
    ).rejects.toMatchObject({
      code: 'audience-no-events',
    });
  });

  it('never counts rows an ingest left unnumbered (_seq NULL: it died between its two transactions)', async () => {
    const flow = (name: string, writeMode: 'append' | 'upsert') =>
      dataflow(
        name,
        [
          { name: 'userid', type: 'integer' },
          { name: 'country', type: 'string' },
        ],
        { schema: { personIdentifier: 'userid' }, writeMode },
      );
    const evFlow = dataflow(
      'ev3',
      [
        { name: 'userid', type: 'integer' },
        { name: 'event', type: 'string' },
        { name: 'ts', type: 'timestamp' },
      ],
      { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
    );
    const ev = box.write('ev3/1.csv', 'userid,event,ts\n1,buy,2025-02-27 10:00:00\n');
    await ingestFiles(box.engine, evFlow, [fileRef(ev)], { firstSeq: 1, rejectDir: box.rejects });
    // Unnumbered: a second buy of person 1 and a buy of person 2.
    await box.engine.run(
      "INSERT INTO ds_ev3 VALUES (1, 'buy', TIMESTAMP '2025-02-28 10:00:00', NULL, 'x', 0), (2, 'buy', TIMESTAMP '2025-02-28 10:00:00', NULL, 'x', 0)",
    );
    for (const mode of ['append', 'upsert'] as const) {
      const people = flow(`people_${mode}`, mode);
      const file = box.write(`people_${mode}/1.csv`, 'userid,country\n1,FR\n2,DE\n');
      await ingestFiles(box.engine, people, [fileRef(file)], { firstSeq: 1, rejectDir: box.rejects });
      // Unnumbered: person 2 moving to FR, and a person 3 in FR.
      await box.engine.run(
        `INSERT INTO "ds_people_${mode}" VALUES (2, 'FR', NULL, 'x', 0), (3, 'FR', NULL, 'x', 0)`,
      );
      const fr = { ...audience([{ have: { trait: 'country', op: '=', value: 'FR' } }]), people: people.name };
      expect(await audienceMembers(box.engine, fr, people, undefined, NOW), mode).toEqual([1]);
      const buyers = {
        ...audience([{ have: { aggregate: 'count', event: 'buy', op: '>=', value: 1 } }]),
        people: people.name,
        events: 'ev3',
      };
      expect(await audienceMembers(box.engine, buyers, people, evFlow, NOW), mode).toEqual([1]);
      const twice = {
        ...buyers,
        ...audience([{ did: 'buy', atLeast: 2 }]),
        people: people.name,
        events: 'ev3',
      };
      expect(await audienceMembers(box.engine, twice, people, evFlow, NOW), mode).toEqual([]);
    }
  });
});
