/** The files `outflow init` writes: a small, valid project with sample data. Pure. */

const USERS_HEADER = 'id,email,first_name,last_name,country,signup_date';
const FIRST = [
  'Ana',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Eva',
  'François',
  'Greta',
  'Hiro',
  'Inès',
  'Jonas',
  'Kai',
  'Léa',
];
const LAST = [
  'Martin',
  'Müller',
  "O'Brien",
  'Nowak',
  'Rossi',
  'Dubois',
  'García',
  'Smith, Jr.',
  'Tanaka',
  'Silva',
];
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'PL', 'US'];
const EVENTS = ['visit', 'add_to_cart', 'buy'];
const CATEGORIES = ['Watches', 'Shoes', 'Bags', 'Books'];

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Deterministic pseudo-random numbers, so the sample data is the same on every machine. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function sampleUsersCsv(count = 40): string {
  const rnd = lcg(7);
  const rows = [USERS_HEADER];
  for (let i = 1; i <= count; i++) {
    const first = FIRST[Math.floor(rnd() * FIRST.length)]!;
    const last = LAST[Math.floor(rnd() * LAST.length)]!;
    const email = i === 13 ? '' : `user${i}@example.com`;
    const country = COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]!;
    const day = 1 + Math.floor(rnd() * 28);
    rows.push(
      [String(i), email, first, last, country, `2026-0${1 + (i % 9)}-${String(day).padStart(2, '0')}`]
        .map(csvField)
        .join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}

export function sampleEventsNdjson(count = 400, end = Date.UTC(2026, 10, 20)): string {
  const rnd = lcg(11);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = new Date(end - Math.floor(rnd() * 60 * 86_400_000));
    const offset = rnd() < 0.3 ? '+02:00' : 'Z';
    const local = offset === 'Z' ? t : new Date(t.getTime() + 2 * 3_600_000);
    const ts = `${local.toISOString().slice(0, 19)}${offset}`;
    const event = EVENTS[Math.floor(rnd() * EVENTS.length)]!;
    const price = event === 'buy' ? Math.round(rnd() * 20000) / 100 : null;
    lines.push(
      JSON.stringify({
        user_id: 1 + Math.floor(rnd() * 40),
        event,
        ts,
        category: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)],
        price,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface TemplateOptions {
  name: string;
  /** Folder holding the sample data, relative to the project. */
  dataDir: string;
  /** Path of the JSON Schema for the yaml-language-server modeline, relative to the project root. */
  schemaPath: string;
}

/** Project-relative path → content. */
export function projectFiles(o: TemplateOptions): Record<string, string> {
  const modeline = (depth: number) =>
    `# yaml-language-server: $schema=${'../'.repeat(depth)}${o.schemaPath}\n`;
  return {
    'outflow.yaml': `${modeline(0)}kind: Project
name: ${o.name}
description: Sample outflow project — edit flows/*.yaml, then run outflow validate / plan / apply.
timezone: Europe/Paris
engine:
  memoryLimit: 1GB
  threads: 2
sampleRows: 100
`,
    'flows/connections.yaml': `${modeline(1)}# Where exports go. A local folder here; s3, gcs, azure and sftp take the same shape.
kind: Connection
name: local_out
type: local
root: out
`,
    'flows/dataflows.yaml': `${modeline(1)}kind: Dataflow
name: users
description: Customer profiles dropped as CSV files.
entity: user
source:
  type: streamFile
  path: ${o.dataDir}/users/*.csv
  format: csv
schema:
  name: customers
  parent: PersonalData
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id, mandatory: true}
    - {name: email, type: string, from: email, mandatory: true}
    - {name: full_name, type: string, expr: "first_name || ' ' || last_name"}
    - {name: country, type: string, from: country}
    - {name: signup_date, type: date, from: signup_date}
writeMode: upsert
onInvalid: skip
---
kind: Dataflow
name: events
description: Web and shop events, one JSON object per line.
entity: event
source:
  type: streamFile
  path: ${o.dataDir}/events/*.ndjson
  format: ndjson
schema:
  name: web_events
  parent: Events
  personIdentifier: userid
  eventTime: ts
  eventName: event
  columns:
    - {name: userid, type: integer, from: user_id, mandatory: true}
    - {name: event, type: string, from: event, mandatory: true}
    - {name: ts, type: timestamp, from: ts, mandatory: true}
    - {name: category, type: string, from: category}
    - {name: price, type: "decimal(12,2)", from: price}
writeMode: append
`,
    'flows/audiences.yaml': `${modeline(1)}kind: Audience
name: recent_buyers
description: Bought in the last 30 days, spent over 100 in 90 days, in FR or DE.
people: users
events: events
subject: customer
conditions:
  - did: buy
    within: 30d
  - have: {aggregate: sum, of: price, event: buy, within: 90d, op: ">", value: 100}
  - have: {trait: country, op: in, value: [FR, DE]}
`,
    'flows/exports.yaml': `${modeline(1)}kind: Export
name: buyers_daily
description: The recent buyers, as Parquet, every day at 03:00 Paris time.
type: segment
from: {audience: recent_buyers}
fields: [userid, email, full_name, country]
destination: local_out
format: parquet
compression: zstd
mode: full
path: "{export}/exportTime={exportTime:yyyyMMddHHmm}/{export}-{runId}-{index}.{ext}"
schedule: {cron: "0 3 * * *", timezone: Europe/Paris}
---
kind: Export
name: events_out
description: Every event, once, as CSV files of at most 100 rows, split by event.
type: dataOut
from: {dataflow: events}
destination: local_out
format: csv
path: "{export}/{runId}/{export}-{event}-{date:yyyyMMdd}-{index}.{ext}"
splitBy: event
chunk: {maxRows: 100}
mode: incremental
schedule: {every: 4h}
`,
    [`${o.dataDir}/users/users-001.csv`]: sampleUsersCsv(),
    [`${o.dataDir}/events/events-001.ndjson`]: sampleEventsNdjson(),
  };
}
