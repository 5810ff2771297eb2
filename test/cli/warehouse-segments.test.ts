import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEventsNdjson } from '../../src/cli/init-template.js';
import { openConditionalObjects } from '../../src/destinations/conditional.js';
import type { PublicationManifest } from '../../src/destinations/index.js';
import { openDestination } from '../../src/destinations/index.js';
import type { ResourceNode } from '../../src/model/index.js';
import type { StateDocument } from '../../src/state/index.js';
import { RemoteStateStore } from '../../src/state/remote-store.js';
import { makeProject } from '../support/project.js';
import { localPublishedFiles } from '../support/published.js';
import { AZURITE_KEY, type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { gatedHttpProxy } from '../support/servers/gated-proxy.js';
import { type GcsEmulator, startGcsEmulator } from '../support/servers/gcs.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';

// Issue 12 part B: the warehouse travels with remote state as Parquet segments below the state
// prefix. Fresh project folders stand for fresh CI runners (no .outflow/); each one runs the real
// binary against azurite. What they publish together must equal one machine's run, row for row.
// Built binary: npm test builds it first.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T0 = '2026-11-16T00:00:00Z';
const LATER = '2026-11-16T05:00:00Z';
const LATER2 = '2026-11-17T05:00:00Z';
let azure: AzuriteServer;

beforeAll(async () => {
  azure = await startAzurite(['state']);
}, 120_000);

afterAll(async () => {
  await azure?.stop();
});

// buyers_daily as CSV, so its rows can be compared as text.
const csvBuyers = (t: string) => t.replace('format: parquet\ncompression: zstd', 'format: csv');

type Backend = 'azure' | 's3' | 'gcs';

/** The state_store Connection of each backend, on the test's local server (its fields after `type`). */
const STORE_FIELDS: Record<Backend, () => Record<string, string>> = {
  azure: () => ({ container: 'state', prefix: 'ci', connectionString: '${env:STATE_CONNECTION}' }),
  s3: () => ({
    bucket: 'state',
    prefix: 'ci',
    region: 'us-east-1',
    endpoint: s3!.endpoint,
    accessKeyId: '${env:S3_KEY_ID}',
    secretAccessKey: '${env:S3_SECRET}',
  }),
  gcs: () => ({ bucket: 'outflow-state', prefix: 'ci', projectId: 'demo-test' }),
};

/** A fresh checkout of the `outflow init` project with its state (and warehouse) in `backend` under `ci/<prefix>`. */
function checkout(
  prefix: string,
  extra: Record<string, (t: string) => string> = {},
  backend: Backend = 'azure',
): string {
  const fields = Object.entries(STORE_FIELDS[backend]())
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
  return makeProject('outflow-segments-', {
    name: 'shared',
    edit: {
      ...extra,
      'outflow.yaml': (t) =>
        `${t}state:\n  backend: ${backend}\n  connection: state_store\n  prefix: ${prefix}\n`,
      'flows/connections.yaml': (t) =>
        `${t}---\nkind: Connection\nname: state_store\ntype: ${backend}\n${fields}`,
      'flows/exports.yaml': csvBuyers,
    },
  });
}

/** users as an overwrite dataflow: each ingest replaces it with all its current files. */
const overwriteUsers = {
  'flows/dataflows.yaml': (t: string) => t.replace('writeMode: upsert', 'writeMode: overwrite'),
};

/** The same project with local state: the one-machine reference. */
function localProject(): string {
  return makeProject('outflow-segments-ref-', { name: 'shared', edit: { 'flows/exports.yaml': csvBuyers } });
}

// s3rver and the GCS emulator are started only by the describe block that uses them.
let s3: S3TestServer | undefined;
let gcs: GcsEmulator | undefined;

const env = () => ({
  CI: 'true',
  NO_COLOR: '1',
  STATE_CONNECTION: azure.connectionString({}),
  S3_KEY_ID: S3RVER_KEY,
  S3_SECRET: S3RVER_KEY,
  ...(gcs === undefined ? {} : { STORAGE_EMULATOR_HOST: gcs.url }),
});

function outflow(dir: string, args: string[], extra: Record<string, string> = {}) {
  return execa('node', [bin, '-C', dir, ...args], { reject: false, env: { ...env(), ...extra } });
}

const stateNode = (backend: Backend = 'azure') =>
  ({
    name: 'state_store',
    config: { type: backend, ...STORE_FIELDS[backend]() },
  }) as unknown as ResourceNode<'Connection'>;

async function stateAt(prefix: string, backend: Backend = 'azure'): Promise<StateDocument> {
  const store = new RemoteStateStore(
    backend,
    await openConditionalObjects(stateNode(backend), { root: '/', env: env() }),
    prefix,
  );
  return (await store.read())!;
}

async function objectsUnder(prefix: string, backend: Backend = 'azure'): Promise<string[]> {
  const d = await openDestination(stateNode(backend), { root: '/', env: env() });
  try {
    return (await d.list(prefix)).map((o) => o.key);
  } finally {
    await d.close();
  }
}

/** New events (after T0), late events (old timestamps) and changed users, as a second delivery. */
function deliverSecond(dir: string): void {
  writeFileSync(
    join(dir, 'data/events/events-002.ndjson'),
    sampleEventsNdjson(300, Date.UTC(2026, 10, 16, 4)),
  );
  writeFileSync(join(dir, 'data/events/events-003.ndjson'), sampleEventsNdjson(120, Date.UTC(2026, 9, 1)));
  const users = readFileSync(join(dir, 'data/users/users-001.csv'), 'utf8').trimEnd().split('\n');
  const changed = users.slice(1, 6).map((l) => l.replace('@example.com', '@changed.example.com'));
  writeFileSync(join(dir, 'data/users/users-002.csv'), `${[users[0], ...changed].join('\n')}\n`);
}

/** A third delivery: more new and late events. */
function deliverThird(dir: string): void {
  writeFileSync(
    join(dir, 'data/events/events-004.ndjson'),
    sampleEventsNdjson(250, Date.UTC(2026, 10, 17, 4)),
  );
  writeFileSync(join(dir, 'data/events/events-005.ndjson'), sampleEventsNdjson(80, Date.UTC(2026, 8, 1)));
}

/** Every row of every file referenced by an events_out manifest in these folders, sorted. */
function eventRows(...dirs: string[]): string[] {
  const rows: string[] = [];
  for (const dir of dirs)
    for (const { file, lines } of localPublishedFiles(dir, 'events_out')) {
      expect(lines.length).toBe(file.rows);
      rows.push(...lines);
    }
  return rows.sort();
}

/** The rows of the latest buyers_daily run published in these folders (by manifest createdAt). */
function latestBuyers(...dirs: string[]): string[] {
  let latest: { dir: string; manifest: PublicationManifest } | undefined;
  for (const dir of dirs) {
    const root = join(dir, 'out', 'buyers_daily');
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root, { recursive: true }) as string[]) {
      if (!name.split('/').pop()!.startsWith('_manifest-')) continue;
      const manifest = JSON.parse(readFileSync(join(root, name), 'utf8')) as PublicationManifest;
      if (latest === undefined || manifest.window.to > latest.manifest.window.to) latest = { dir, manifest };
    }
  }
  expect(latest).toBeDefined();
  return latest!.manifest.files
    .flatMap((f) =>
      readFileSync(join(latest!.dir, 'out', f.name), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1),
    )
    .sort();
}

let reference:
  | { events: string[]; eventsAtLater: string[]; buyersAtLater: string[]; buyersAtLater2: string[] }
  | undefined;

/** One machine, local state: apply at T0, second delivery, run at LATER, third delivery, run at LATER2. */
async function referenceRun(): Promise<NonNullable<typeof reference>> {
  if (reference !== undefined) return reference;
  const ref = localProject();
  expect((await outflow(ref, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
  deliverSecond(ref);
  const r1 = await outflow(ref, ['run', '--due', '--now', LATER]);
  expect(r1.exitCode, r1.stderr).toBe(0);
  const buyersAtLater = latestBuyers(ref);
  const eventsAtLater = eventRows(ref);
  deliverThird(ref);
  const r2 = await outflow(ref, ['run', '--due', '--now', LATER2]);
  expect(r2.exitCode, r2.stderr).toBe(0);
  reference = { events: eventRows(ref), eventsAtLater, buyersAtLater, buyersAtLater2: latestBuyers(ref) };
  expect(reference.events.length).toBe(400 + 300 + 120 + 250 + 80);
  return reference;
}

/** Runs runner A's first apply with OUTFLOW_CRASH_AT=`point`; it must die by SIGKILL there. */
async function killedApply(dir: string, point: string): Promise<void> {
  const killed = await outflow(dir, ['apply', '--auto-approve', '--now', T0], { OUTFLOW_CRASH_AT: point });
  const [name, hit = '1'] = point.split(':');
  expect(killed.signal, `${point} was not hit:\n${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
  expect(killed.stderr.split('\n')).toContain(`crash point ${name}#${hit}`);
}

/**
 * After runner A (`a`) was killed: another fresh checkout removes the dead runner's lock, applies
 * and runs the second delivery; a third runs the last one from the segments alone. Together they
 * publish what one machine does, and the bucket holds exactly the objects the state lists.
 */
async function convergesOnFreshCheckouts(prefix: string, a: string): Promise<void> {
  const ref = await referenceRun();
  const b = checkout(prefix);
  const locked = await outflow(b, ['apply', '--auto-approve', '--now', T0]);
  expect(locked.exitCode).toBe(1);
  expect(locked.stderr).toContain('error[state-locked]: state is locked by apply');
  const unlock = await outflow(b, ['state', 'unlock']);
  expect(unlock.exitCode, unlock.stderr).toBe(0);
  expect(unlock.stdout).toContain('Removed the state lock held by apply');
  const applied = await outflow(b, ['apply', '--auto-approve', '--now', T0]);
  expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
  deliverSecond(b);
  const ranB = await outflow(b, ['run', '--due', '--now', LATER]);
  expect(ranB.exitCode, ranB.stderr).toBe(0);

  const c = checkout(prefix);
  deliverThird(c);
  const ranC = await outflow(c, ['run', '--due', '--now', LATER2]);
  expect(ranC.exitCode, ranC.stderr).toBe(0);
  expect(ranC.stdout).toContain('rebuilt from 4 segments');
  expect(eventRows(a, b, c)).toEqual(ref.events);
  expect(latestBuyers(c)).toEqual(ref.buyersAtLater2);
  const state = await stateAt(prefix);
  const files = state.resources['Dataflow/events']!.data!.ingestedFiles!.map((f) => f.path);
  expect(new Set(files).size).toBe(5);
  expect(files).toHaveLength(5);
  expect(await objectsUnder(`${prefix}/warehouse/`)).toEqual(listedObjects(prefix, state));
}

/** The warehouse objects a state lists, as connection-relative keys, sorted. */
function listedObjects(prefix: string, state: StateDocument): string[] {
  return Object.values(state.resources)
    .flatMap((r) => r.data?.segments?.objects ?? [])
    .map((o) => `${prefix}/${o.key}`)
    .sort();
}

describe('warehouse segments: the warehouse travels with remote state', () => {
  it('a fresh runner rebuilds the warehouse from segments, a restored cache tops up; together they publish what one machine does', {
    timeout: 180_000,
  }, async () => {
    const ref = await referenceRun();
    const prefix = 'travel';

    // Runner A: a fresh checkout applies at T0. Each ingest's rows went up as one segment.
    const a = checkout(prefix);
    const applied = await outflow(a, ['apply', '--auto-approve', '--now', T0]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const s1 = await stateAt(prefix);
    const events1 = s1.resources['Dataflow/events']!.data!.segments!;
    expect(events1.generation).toBe(1);
    expect(events1.objects.map((o) => [o.key, o.rows, o.seqFrom, o.seqTo])).toEqual([
      ['warehouse/events/g1/1-400.parquet', 400, 1, 400],
    ]);
    expect(events1.objects[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s1.resources['Dataflow/users']!.data!.segments!.objects).toHaveLength(1);
    expect(await objectsUnder(`${prefix}/warehouse/`)).toEqual([
      `${prefix}/warehouse/events/g1/1-400.parquet`,
      `${prefix}/warehouse/users/g1/${s1.resources['Dataflow/users']!.data!.segments!.objects[0]!.seqFrom}-${s1.resources['Dataflow/users']!.data!.segments!.objects[0]!.seqTo}.parquet`,
    ]);
    const savedA = join(a, '..', `${a.split('/').pop()}-cache`);
    cpSync(join(a, '.outflow'), savedA, { recursive: true });

    // Runner B: another fresh checkout, no .outflow/, with the second delivery. It rebuilds the
    // warehouse from the segments, ingests only the new files, runs what is due.
    const b = checkout(prefix);
    expect(existsSync(join(b, '.outflow'))).toBe(false);
    deliverSecond(b);
    const ranB = await outflow(b, ['run', '--due', '--now', LATER]);
    expect(ranB.exitCode, ranB.stderr).toBe(0);
    expect(ranB.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from 2 segments');
    expect(ranB.stdout).toContain('export Export/events_out');
    expect(`${ranB.stdout}${ranB.stderr}`).not.toContain(AZURITE_KEY);
    const s2 = await stateAt(prefix);
    const files2 = s2.resources['Dataflow/events']!.data!.ingestedFiles!.map((f) => f.path);
    expect(files2.sort()).toEqual([
      'data/events/events-001.ndjson',
      'data/events/events-002.ndjson',
      'data/events/events-003.ndjson',
    ]);
    expect(s2.resources['Dataflow/events']!.data!.segments!.objects.map((o) => o.key)).toEqual([
      'warehouse/events/g1/1-400.parquet',
      'warehouse/events/g1/401-820.parquet',
    ]);
    expect(latestBuyers(b)).toEqual(ref.buyersAtLater);

    // Runner A again, its .outflow/ restored from a cache saved after its apply: the warehouse is
    // behind, and loads only the segments it lacks. Its checkout has the third delivery.
    const c = checkout(prefix);
    cpSync(savedA, join(c, '.outflow'), { recursive: true });
    deliverThird(c);
    const ranC = await outflow(c, ['run', '--due', '--now', LATER2]);
    expect(ranC.exitCode, ranC.stderr).toBe(0);
    expect(ranC.stdout).toContain('warehouse .outflow/warehouse.duckdb: brought up to date from 2 segments');
    expect(latestBuyers(c)).toEqual(ref.buyersAtLater2);

    // Nothing ingested twice; the union of what the three runners published is the reference.
    const s3 = await stateAt(prefix);
    const paths = s3.resources['Dataflow/events']!.data!.ingestedFiles!.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toHaveLength(5);
    expect(eventRows(a, b, c)).toEqual(ref.events);
  });

  it('a cache that disagrees with the state is refreshed from the segments, never trusted', {
    timeout: 120_000,
  }, async () => {
    const prefix = 'tampered';
    const a = checkout(prefix);
    expect((await outflow(a, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    // A warehouse of another state (another prefix) restored into this checkout.
    const other = checkout('tampered-other');
    deliverSecond(other);
    expect((await outflow(other, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    const b = checkout(prefix);
    cpSync(join(other, '.outflow'), join(b, '.outflow'), { recursive: true });
    deliverSecond(b);
    const ran = await outflow(b, ['run', '--due', '--now', LATER]);
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from 2 segments');
    const ref = await referenceRun();
    expect(latestBuyers(b)).toEqual(ref.buyersAtLater);
    expect(eventRows(a, b)).toEqual(ref.eventsAtLater);
  });

  it('kill -9 after a segment upload, before the state records it: a fresh runner delivers every row exactly once', {
    timeout: 180_000,
  }, async () => {
    const prefix = 'crash';
    const a = checkout(prefix);
    // The second segment upload of the first apply: users (1), then events (2).
    await killedApply(a, 'segment.uploaded:2');
    const s1 = await stateAt(prefix);
    expect(s1.resources['Dataflow/events']?.data?.segments).toBeUndefined();
    // The uploaded object no state lists is there until a later command sweeps it.
    expect(await objectsUnder(`${prefix}/warehouse/events/`)).toEqual([
      `${prefix}/warehouse/events/g1/1-400.parquet`,
    ]);
    await convergesOnFreshCheckouts(prefix, a);
  });

  it('kill -9 during a segment upload (its PUT held at a proxy): nothing reaches the store, another fresh runner converges', {
    timeout: 180_000,
  }, async () => {
    const prefix = 'kill-mid-upload';
    const a = checkout(prefix);
    // The events segment's upload is held in flight; the process is killed while it waits.
    const gate = await gatedHttpProxy(
      Number(new URL(azure.accountUrl()).port),
      (req) => req.method === 'PUT' && (req.url ?? '').includes('/warehouse/events/'),
    );
    try {
      const proc = outflow(a, ['apply', '--auto-approve', '--now', T0], {
        STATE_CONNECTION: azure.connectionString({ port: gate.port }),
      });
      await gate.firstHeld;
      proc.kill('SIGKILL');
      const killed = await proc;
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      await gate.close();
    }
    expect(await objectsUnder(`${prefix}/warehouse/events/`)).toEqual([]);
    expect((await stateAt(prefix)).resources['Dataflow/events']?.data?.segments).toBeUndefined();
    await convergesOnFreshCheckouts(prefix, a);
  });

  // Each kill is followed by runs on other fresh checkouts (no .outflow/): the dead runner's lock
  // is removed, and together they publish what one machine does.
  it.each([
    // The state write that records the events ingest (after 8 resource writes and users' ingest).
    ['state.remote-written:10', 'the state write of an ingest'],
    // The next one: buyers_daily's run recorded as pending, nothing of it published yet.
    ['state.remote-written:11', 'the state write of a pending export'],
    ['lock.releasing:1', 'the lock release'],
  ])(
    'kill -9 at %s (during %s): another fresh runner converges, every row exactly once',
    {
      timeout: 180_000,
    },
    async (point) => {
      const prefix = `kill-${point.replace(/[^a-z0-9]+/g, '-')}`;
      const a = checkout(prefix);
      await killedApply(a, point);
      await convergesOnFreshCheckouts(prefix, a);
    },
  );

  it('kill -9 while a fresh runner rebuilds its warehouse: the next run on it rebuilds again and delivers every row once', {
    timeout: 180_000,
  }, async () => {
    const ref = await referenceRun();
    const prefix = 'kill-rebuild';
    const a = checkout(prefix);
    expect((await outflow(a, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    const b = checkout(prefix);
    deliverSecond(b);
    // The second segment loaded (events, after users), before the rebuild's transaction commits.
    const killed = await outflow(b, ['run', '--due', '--now', LATER], {
      OUTFLOW_CRASH_AT: 'segment.loaded:2',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point segment.loaded#2');
    expect((await outflow(b, ['state', 'unlock'])).exitCode).toBe(0);
    const ranB = await outflow(b, ['run', '--due', '--now', LATER]);
    expect(ranB.exitCode, ranB.stderr).toBe(0);
    expect(ranB.stdout).toMatch(
      /warehouse \.outflow\/warehouse\.duckdb: (rebuilt|brought up to date) from 1 segment/,
    );
    expect(eventRows(a, b)).toEqual(ref.eventsAtLater);
    expect(latestBuyers(b)).toEqual(ref.buyersAtLater);
  });

  it('an overwrite dataflow starts a new generation per ingest; the state lists only the current one', {
    timeout: 120_000,
  }, async () => {
    const prefix = 'overwrite';
    const ref = makeProject('outflow-segments-ref-', {
      name: 'shared',
      edit: { 'flows/exports.yaml': csvBuyers, ...overwriteUsers },
    });
    expect((await outflow(ref, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    deliverSecond(ref);
    expect((await outflow(ref, ['run', '--due', '--now', LATER])).exitCode).toBe(0);
    deliverThird(ref);
    expect((await outflow(ref, ['run', '--due', '--now', LATER2])).exitCode).toBe(0);

    const a = checkout(prefix, overwriteUsers);
    expect((await outflow(a, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    const b = checkout(prefix, overwriteUsers);
    deliverSecond(b);
    const ranB = await outflow(b, ['run', '--due', '--now', LATER]);
    expect(ranB.exitCode, ranB.stderr).toBe(0);
    const users = (await stateAt(prefix)).resources['Dataflow/users']!.data!.segments!;
    expect(users.generation).toBe(2);
    expect(users.objects.map((o) => o.key)).toEqual([expect.stringMatching(/^warehouse\/users\/g2\//)]);
    // Generation 1 is swept once the state no longer lists it; the bucket holds what the state lists.
    expect(ranB.stdout).toContain('sweep warehouse: removed 1 warehouse object the state no longer lists');
    expect(await objectsUnder(`${prefix}/warehouse/`)).toEqual(listedObjects(prefix, await stateAt(prefix)));
    // A fresh runner rebuilds users from generation 2 alone.
    const c = checkout(prefix, overwriteUsers);
    deliverThird(c);
    const ranC = await outflow(c, ['run', '--due', '--now', LATER2]);
    expect(ranC.exitCode, ranC.stderr).toBe(0);
    expect(latestBuyers(c)).toEqual(latestBuyers(ref));
    expect(eventRows(a, b, c)).toEqual(eventRows(ref));
  });
});

// The same travel on the other two stores, through the binary: s3rver and the GCS emulator ignore
// preconditions (docs/backends.md), so racing is proven on azurite above; here the segments go
// up, are listed, swept and brought back by each store's own client.
describe.each(['s3', 'gcs'] as const)('warehouse segments on %s', (backend) => {
  beforeAll(async () => {
    if (backend === 's3') s3 = await startS3rver(['state']);
    else gcs = await startGcsEmulator();
  }, 120_000);

  afterAll(async () => {
    await s3?.stop();
    await gcs?.stop();
    s3 = undefined;
    gcs = undefined;
  });

  it('a fresh runner rebuilds from the segments and publishes what one machine does; the bucket holds what the state lists', {
    timeout: 180_000,
  }, async () => {
    const ref = await referenceRun();
    const prefix = `travel-${backend}`;
    const a = checkout(prefix, {}, backend);
    const applied = await outflow(a, ['apply', '--auto-approve', '--now', T0]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const b = checkout(prefix, {}, backend);
    deliverSecond(b);
    const ranB = await outflow(b, ['run', '--due', '--now', LATER]);
    expect(ranB.exitCode, ranB.stderr).toBe(0);
    expect(ranB.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from 2 segments');
    expect(`${ranB.stdout}${ranB.stderr}`).not.toContain(S3RVER_KEY);
    expect(latestBuyers(b)).toEqual(ref.buyersAtLater);
    expect(eventRows(a, b)).toEqual(ref.eventsAtLater);
    const state = await stateAt(prefix, backend);
    expect(state.resources['Dataflow/events']!.data!.segments!.objects.map((o) => o.key)).toEqual([
      'warehouse/events/g1/1-400.parquet',
      'warehouse/events/g1/401-820.parquet',
    ]);
    expect(await objectsUnder(`${prefix}/warehouse/`, backend)).toEqual(listedObjects(prefix, state));
  });
});
