import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openConditionalObjects } from '../../src/destinations/conditional.js';
import { openDestination } from '../../src/destinations/index.js';
import { openEngine } from '../../src/engine/index.js';
import type { ResourceNode } from '../../src/model/index.js';
import type { ActivationSnapshot, StateDocument } from '../../src/state/index.js';
import { RemoteStateStore } from '../../src/state/remote-store.js';
import { writeActivationProject } from '../support/activation-project.js';
import { type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { type Verify, WebhookReceiver } from '../support/servers/webhook.js';
import { tempDirs } from '../support/temp.js';
import { documentedVerify } from '../support/webhook-snippet.js';

// Issue 12 part B, item 2: the membership snapshots of activations travel with remote state.
// Fresh project folders stand for fresh CI runners (no .outflow/); each runs the real binary with
// its state in azurite and syncs to a real node:http receiver (test/support/servers/webhook.ts).
// What the runners send together must equal one machine's syncs: the same segment, and the same
// number of members sent at each step (only the diff, never everyone again). Built binary.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const SECRET = 'cms-secret-4f1d9a7c2b';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-20T12:00:00Z');
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
const SNAPSHOTS = 'warehouse/_activations/newsletter/eu_customers/';

/** users-00k.csv: [id, country]; the audience is everyone whose latest country is FR or DE. */
const DELIVERIES: [number, string][][] = [
  [
    [1, 'FR'],
    [2, 'DE'],
    [3, 'US'],
    [4, 'FR'],
    [5, 'DE'],
    [6, 'IT'],
    [7, 'FR'],
  ],
  [
    [2, 'US'],
    [3, 'DE'],
    [6, 'FR'],
    [8, 'DE'],
  ],
  [
    [1, 'US'],
    [9, 'FR'],
    [4, 'DE'],
  ],
  [
    [5, 'IT'],
    [10, 'FR'],
  ],
];

type Method = 'add' | 'replace';
let azure: AzuriteServer;
let verify: Verify;
const scratch = tempDirs('outflow-act-remote');
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  [azure, verify] = await Promise.all([startAzurite(['state']), documentedVerify()]);
}, 120_000);

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});

afterAll(async () => {
  await azure?.stop();
  scratch.removeAll();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver(verify, SECRET).start();
  receivers.push(r);
  return r;
}

/**
 * A checkout: users (upsert) → eu_customers → Activation newsletter (batches of 2) to `r`, with the
 * first `deliveries` users files. With `prefix`, state lives in azurite under `ci/<prefix>`.
 */
function checkout(r: WebhookReceiver, method: Method, deliveries: number, prefix?: string): string {
  const dir = scratch.make(prefix ?? 'local');
  writeActivationProject(dir, {
    url: r.url,
    updateMethod: method,
    batchSize: 2,
    attributes: '{newsletter: "yes"}',
    ...(prefix === undefined
      ? {}
      : {
          projectExtra: `state:\n  backend: azure\n  connection: state_store\n  prefix: ${prefix}\n`,
          connectionExtra:
            '---\nkind: Connection\nname: state_store\ntype: azure\ncontainer: state\nprefix: ci\nconnectionString: ${env:STATE_CONNECTION}\n',
        }),
  });
  for (let k = 1; k <= deliveries; k++) deliver(dir, k);
  return dir;
}

/** Writes data/users/users-00k.csv: delivery k, or `users` instead. */
function deliver(dir: string, k: number, users = DELIVERIES[k - 1]!): void {
  const rows = users.map(([id, c]) => `${id},${c}`);
  writeFileSync(join(dir, 'data', 'users', `users-00${k}.csv`), `${['id,country', ...rows].join('\n')}\n`);
}

const env = () => ({
  CI: 'true',
  NO_COLOR: '1',
  CMS_SECRET: SECRET,
  OUTFLOW_RETRY_MIN_MS: '10',
  STATE_CONNECTION: azure.connectionString({}),
});

function cli(dir: string, args: string[], extra: Record<string, string> = {}) {
  return execa('node', [bin, '-C', dir, ...args], { reject: false, env: { ...env(), ...extra } });
}

/** `apply` at step k's hour; fails the test unless it succeeds. Returns stdout. */
async function applyAt(dir: string, k: number, command: 'apply' | 'run' = 'apply'): Promise<string> {
  const args = command === 'apply' ? ['apply', '--auto-approve'] : ['run', '--due'];
  const r = await cli(dir, [...args, '--now', at(k)]);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * Members (added plus removed) in the batches the receiver applied from accepted request `from`
 * on: a batch re-sent with a webhook-id it already applied is de-duplicated, and not counted.
 */
function sentSince(r: WebhookReceiver, from: number): number {
  const seen = new Set(r.accepted.slice(0, from).map((q) => q.id));
  let n = 0;
  for (const q of r.accepted.slice(from)) {
    if (seen.has(q.id)) continue;
    seen.add(q.id);
    const b = JSON.parse(q.body) as { added: unknown[]; removed: unknown[] };
    n += b.added.length + b.removed.length;
  }
  return n;
}

/** The runIds of the batches the receiver accepted from request `from` on. */
const runIdsSince = (r: WebhookReceiver, from: number) =>
  new Set(r.accepted.slice(from).map((q) => (JSON.parse(q.body) as { runId: string }).runId));

const members = (r: WebhookReceiver) => r.members('cdp_audiences', 'eu_customers').map((m) => m.id);

interface Reference {
  /** Per step: members sent, and the segment after it. */
  sent: number[];
  segment: string[][];
}
const references = new Map<Method, Promise<Reference>>();

/** One machine, local state, the deliveries one after another (computed once per method; add needs three). */
function reference(method: Method): Promise<Reference> {
  const made =
    references.get(method) ??
    (async () => {
      const r = await receiver();
      const dir = checkout(r, method, 0);
      const ref: Reference = { sent: [], segment: [] };
      for (let k = 1; k <= (method === 'add' ? 3 : DELIVERIES.length); k++) {
        deliver(dir, k);
        const before = r.accepted.length;
        await applyAt(dir, k);
        ref.sent.push(sentSince(r, before));
        ref.segment.push(members(r));
      }
      receivers.splice(receivers.indexOf(r), 1);
      await r.stop();
      return ref;
    })();
  references.set(method, made);
  return made;
}

const stateNode = {
  name: 'state_store',
  config: { type: 'azure', container: 'state', prefix: 'ci', connectionString: '${env:STATE_CONNECTION}' },
} as unknown as ResourceNode<'Connection'>;

async function stateAt(prefix: string): Promise<StateDocument> {
  const store = new RemoteStateStore(
    'azure',
    await openConditionalObjects(stateNode, { root: '/', env: env() }),
    prefix,
  );
  return (await store.read())!;
}

async function snapshotAt(prefix: string): Promise<ActivationSnapshot | undefined> {
  return (await stateAt(prefix)).resources['Activation/newsletter']?.data?.snapshots?.eu_customers;
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const d = await openDestination(stateNode, { root: '/', env: env() });
  try {
    return (await d.list(prefix)).map((o) => o.key).sort();
  } finally {
    await d.close();
  }
}

/** A runner's .outflow/ saved (a CI cache), to be restored into another checkout. */
function saveCache(dir: string): string {
  const saved = scratch.make('cache');
  cpSync(join(dir, '.outflow'), saved, { recursive: true });
  return saved;
}

describe('activation snapshots travel with remote state', () => {
  it.each<Method>(['replace', 'add'])(
    '%s: fresh runners send only the diff; together they end where one machine does',
    {
      timeout: 120_000,
    },
    async (method) => {
      // The one-machine reference runs beside the runners (its own receiver and folder).
      const reference_ = reference(method);
      const r = await receiver();
      const prefix = `travel-${method}`;
      const seen: Reference = { sent: [], segment: [] };

      // Runner A: the first sync sends everyone; the segment's members go up as one snapshot.
      await applyAt(checkout(r, method, 1, prefix), 1);
      seen.sent.push(sentSince(r, 0));
      seen.segment.push(members(r));
      const s1 = (await snapshotAt(prefix))!;
      expect(s1.key).toMatch(
        /^warehouse\/_activations\/newsletter\/eu_customers\/sync-[0-9TZ]+-[0-9a-f]{8}\.parquet$/,
      );
      expect(s1.key).toBe(`${SNAPSHOTS}${s1.runId}.parquet`);
      expect(s1.rows).toBe(5);
      expect(s1.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(await objectsUnder(`${prefix}/${SNAPSHOTS}`)).toEqual([`${prefix}/${s1.key}`]);

      // Runners B and C: fresh checkouts with the next deliveries rebuild the warehouse (segments and
      // the snapshot) and send only what changed.
      for (const k of [2, 3]) {
        const before = r.accepted.length;
        const out = await applyAt(checkout(r, method, k, prefix), k, k === 3 ? 'run' : 'apply');
        expect(out).toContain(`rebuilt from ${k - 1} segment${k === 2 ? '' : 's'} and 1 activation snapshot`);
        seen.sent.push(sentSince(r, before));
        seen.segment.push(members(r));
      }
      const s3 = (await snapshotAt(prefix))!;
      const data = (await stateAt(prefix)).resources['Activation/newsletter']!.data!;
      expect(data.runs!.at(-1)!.sync![0]!.runId).toBe(s3.runId);
      // Each sync was pending (its batches uploaded) while it was sent; none is now.
      expect(data.pendingSyncs).toBeUndefined();
      expect(await objectsUnder(`${prefix}/syncs/`)).toEqual([]);

      // Step by step, what one machine sent and left in the segment.
      const ref = await reference_;
      expect(seen).toEqual({ sent: ref.sent.slice(0, 3), segment: ref.segment.slice(0, 3) });
      expect(s3.rows).toBe(ref.segment[2]!.length);
      // One machine's syncs: everyone, then only the changes (replace: joins and leaves; add: joins).
      expect(ref.sent.slice(0, 3)).toEqual(method === 'replace' ? [5, 4, 2] : [5, 3, 1]);
    },
  );

  it('kill -9 after the snapshot upload, before the state records the sync: a fresh runner finishes that same sync, nothing applied twice', {
    timeout: 120_000,
  }, async () => {
    const ref = await reference('replace');
    const r = await receiver();
    const prefix = 'crash';
    await applyAt(checkout(r, 'replace', 1, prefix), 1);
    const s1 = (await snapshotAt(prefix))!;

    // Runner B delivers its whole sync, uploads the snapshot, and dies before the state write.
    const beforeB = r.accepted.length;
    const killed = await cli(checkout(r, 'replace', 2, prefix), ['apply', '--auto-approve', '--now', at(2)], {
      OUTFLOW_CRASH_AT: 'activation.snapshot-uploaded',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point activation.snapshot-uploaded#1');
    expect(members(r)).toEqual(ref.segment[1]);
    // The state still lists A's snapshot, and B's sync as pending; B's snapshot object is listed by nothing.
    const [runB] = [...runIdsSince(r, beforeB)];
    const dataB = (await stateAt(prefix)).resources['Activation/newsletter']!.data!;
    expect(dataB.snapshots!.eu_customers).toEqual(s1);
    expect(dataB.pendingSyncs!.eu_customers!.runId).toBe(runB);
    expect(await objectsUnder(`${prefix}/${SNAPSHOTS}`)).toEqual(
      [`${prefix}/${s1.key}`, `${prefix}/${SNAPSHOTS}${runB}.parquet`].sort(),
    );

    // Runner C, fresh, same data: takes over B's sync from the state and sends its batches again
    // with B's webhook-ids (the receiver applies none twice); nothing else changed.
    const c = checkout(r, 'replace', 2, prefix);
    const unlock = await cli(c, ['state', 'unlock']);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    const beforeC = r.accepted.length;
    const out = await applyAt(c, 2);
    expect(out).toContain('rebuilt from 2 segments and 1 activation snapshot');
    expect(out).toContain('1 unfinished activation sync taken over from the state');
    expect(runIdsSince(r, beforeC)).toEqual(new Set([runB]));
    expect(sentSince(r, beforeC)).toBe(0);
    expect(sentSince(r, beforeB)).toBe(ref.sent[1]);
    expect(members(r)).toEqual(ref.segment[1]);
    const dataC = (await stateAt(prefix)).resources['Activation/newsletter']!.data!;
    expect(dataC.snapshots!.eu_customers!.runId).toBe(runB);
    expect(dataC.pendingSyncs).toBeUndefined();
    expect(await objectsUnder(`${prefix}/syncs/`)).toEqual([]);

    // Runner D, fresh, the next delivery: from C's snapshot, exactly one machine's diff.
    const beforeD = r.accepted.length;
    await applyAt(checkout(r, 'replace', 3, prefix), 3, 'run');
    expect(sentSince(r, beforeD)).toBe(ref.sent[2]);
    expect(members(r)).toEqual(ref.segment[2]);
    const data = (await stateAt(prefix)).resources['Activation/newsletter']!.data!;
    expect(data.snapshots!.eu_customers!.rows).toBe(ref.segment[2]!.length);
    expect(data.snapshots!.eu_customers!.runId).toBe(data.runs!.at(-1)!.sync![0]!.runId);
  });

  it('kill -9 after one batch of a sync, then the audience changes: a fresh runner finishes the lost sync first, so no member is left over or missing', {
    timeout: 120_000,
  }, async () => {
    const r = await receiver();
    const prefix = 'lost-runner';
    await applyAt(checkout(r, 'replace', 1, prefix), 1);
    const beforeB = r.accepted.length;
    const killed = await cli(checkout(r, 'replace', 2, prefix), ['apply', '--auto-approve', '--now', at(2)], {
      OUTFLOW_CRASH_AT: 'activation.batch-delivered',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(r.accepted.length - beforeB).toBe(1);
    const [runB] = [...runIdsSince(r, beforeB)];
    const pending = (await stateAt(prefix)).resources['Activation/newsletter']!.data!.pendingSyncs!
      .eu_customers!;
    expect(pending).toMatchObject({ runId: runB, added: 3, removed: 1, batchCount: 2 });
    expect(await objectsUnder(`${prefix}/syncs/`)).toEqual([`${prefix}/${pending.key}`]);

    // Before the next run, everyone B's sync added leaves and the member it removed comes back.
    const c = checkout(r, 'replace', 2, prefix);
    deliver(c, 3, [
      [3, 'US'],
      [6, 'US'],
      [8, 'US'],
      [2, 'FR'],
    ]);
    expect((await cli(c, ['state', 'unlock'])).exitCode).toBe(0);
    const beforeC = r.accepted.length;
    await applyAt(c, 3);
    // B's sync is finished with its own webhook-ids (batch 1 de-duplicated), then the new diff.
    expect(r.accepted[beforeC]!.id).toBe(`${runB}.1`);
    expect(runIdsSince(r, beforeC).has(runB)).toBe(true);
    expect(members(r)).toEqual(['1', '2', '4', '5', '7']);
    // One machine: 5 added, then −2 +3 +6 +8, then −3 −6 −8 +2.
    expect(sentSince(r, 0)).toBe(13);
    const data = (await stateAt(prefix)).resources['Activation/newsletter']!.data!;
    expect(data.pendingSyncs).toBeUndefined();
    expect(data.snapshots!.eu_customers!.rows).toBe(5);
    expect(await objectsUnder(`${prefix}/syncs/`)).toEqual([]);
  });

  it('a restored cache whose members were edited, or are an older snapshot, is refreshed from the state, never trusted', {
    timeout: 120_000,
  }, async () => {
    const ref = await reference('replace');
    const r = await receiver();
    const prefix = 'tampered';
    const a = checkout(r, 'replace', 1, prefix);
    await applyAt(a, 1);
    const cacheA = saveCache(a);
    const b = checkout(r, 'replace', 2, prefix);
    await applyAt(b, 2);
    // B's cache, holding the current snapshot, with one delivered member deleted by hand.
    const cacheB = saveCache(b);
    const engine = await openEngine({ database: join(cacheB, 'warehouse.duckdb'), allowedDirectories: [] });
    try {
      const gone = await engine.run(`DELETE FROM _outflow_activation_members WHERE id = '4'`);
      expect(gone.rowsChanged).toBe(1);
    } finally {
      await engine.close();
    }

    // Runner C restores the edited cache: its lists match the state, its members do not.
    const c = checkout(r, 'replace', 3, prefix);
    cpSync(cacheB, join(c, '.outflow'), { recursive: true });
    const beforeC = r.accepted.length;
    const outC = await applyAt(c, 3);
    expect(outC).toContain('brought up to date from 0 segments and 1 activation snapshot');
    expect(sentSince(r, beforeC)).toBe(ref.sent[2]);
    expect(members(r)).toEqual(ref.segment[2]);

    // Runner D restores A's cache: an older snapshot (and older segments).
    const d = checkout(r, 'replace', 4, prefix);
    cpSync(cacheA, join(d, '.outflow'), { recursive: true });
    const beforeD = r.accepted.length;
    const outD = await applyAt(d, 4, 'run');
    expect(outD).toContain('brought up to date from 2 segments and 1 activation snapshot');
    expect(sentSince(r, beforeD)).toBe(ref.sent[3]);
    expect(members(r)).toEqual(ref.segment[3]);
  });
});
