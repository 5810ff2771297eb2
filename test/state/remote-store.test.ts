import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConditionalObjects } from '../../src/destinations/conditional.js';
import type { ResourceNode } from '../../src/model/index.js';
import { emptyState, nextRevision, type StateDocument } from '../../src/state/index.js';
import { RemoteStateStore } from '../../src/state/remote-store.js';
import { type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { type FlakyProxy, flakyHttpProxy } from '../support/servers/flaky-proxy.js';
import { type GcsEmulator, startGcsEmulator } from '../support/servers/gcs.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';

// RemoteStateStore against each real store on 127.0.0.1. Azurite enforces conditional writes as
// Azure does; s3rver and the GCS emulator ignore If-None-Match / If-Match / ifGenerationMatch
// (TEST-SERVERS.md), so there only what the store checks itself is tested (a writer that did not
// see the stored version is refused; sequential lock exclusivity), and the store-enforced races
// are proven on azurite.
let s3: S3TestServer;
let azure: AzuriteServer;
let gcs: GcsEmulator;

beforeAll(async () => {
  [s3, azure, gcs] = await Promise.all([startS3rver(['state']), startAzurite(['state']), startGcsEmulator()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), azure?.stop(), gcs?.stop()]);
});

const T0 = new Date('2026-11-16T00:00:00Z');
let prefixes = 0;

const connections: Record<
  's3' | 'gcs' | 'azure',
  () => { config: Record<string, unknown>; env: Record<string, string> }
> = {
  s3: () => ({
    config: {
      type: 's3',
      bucket: 'state',
      prefix: 'team/',
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: S3RVER_KEY,
      secretAccessKey: '${env:STATE_SECRET}',
    },
    env: { STATE_SECRET: S3RVER_KEY },
  }),
  azure: () => ({
    config: { type: 'azure', container: 'state', prefix: 'team/', connectionString: '${env:STATE_SECRET}' },
    env: { STATE_SECRET: azure.connectionString() },
  }),
  gcs: () => ({
    config: { type: 'gcs', bucket: 'state', prefix: 'team/', projectId: 'demo-test' },
    env: { STORAGE_EMULATOR_HOST: gcs.url },
  }),
};

async function objectsFor(kind: 's3' | 'gcs' | 'azure') {
  const { config, env } = connections[kind]();
  const node = { name: 'state_store', config } as unknown as ResourceNode<'Connection'>;
  return openConditionalObjects(node, { root: process.cwd(), env });
}

/** A store per simulated runner, all on one fresh prefix. */
async function stores(kind: 's3' | 'gcs' | 'azure', count: number): Promise<RemoteStateStore[]> {
  const prefix = `outflow/state-${++prefixes}`;
  return Promise.all(
    Array.from({ length: count }, async () => new RemoteStateStore(kind, await objectsFor(kind), prefix)),
  );
}

function withResource(doc: StateDocument, name: string): StateDocument {
  return {
    ...doc,
    resources: {
      ...doc.resources,
      [`Connection/${name}`]: {
        kind: 'Connection',
        name,
        configHash: 'a'.repeat(64),
        config: { type: 'local', root: name },
        appliedAt: T0.toISOString(),
      },
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (error) {
    return error as { code?: string; message: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

describe.each(['s3', 'gcs', 'azure'] as const)('remote state on %s', (kind) => {
  it('round-trips state.json under <connection prefix>/<state prefix>, serial moving forward', async () => {
    const [store] = await stores(kind, 1);
    expect(await store!.read()).toBeUndefined();
    const first = nextRevision(withResource(emptyState(T0, 'test'), 'a'), T0, 'test');
    await store!.write(first);
    const second = nextRevision(withResource(first, 'b'), T0, 'test');
    await store!.write(second);
    expect(await store!.read()).toEqual(second);
    expect(store!.describe()).toMatch(/\/team\/outflow\/state-\d+\/state\.json$/);
    // A fresh reader (another runner) sees the same document.
    const other = new RemoteStateStore(kind, await objectsFor(kind), prefixOf(store!));
    expect(await other.read()).toEqual(second);
  });

  it('refuses a stale writer and a writer of another lineage (state-conflict)', async () => {
    const [a, b] = await stores(kind, 2);
    const base = nextRevision(emptyState(T0, 'test'), T0, 'test');
    await a!.write(base);
    const readByA = (await a!.read())!;
    const readByB = (await b!.read())!;
    await a!.write(nextRevision(withResource(readByA, 'from_a'), T0, 'test'));
    const stale = await rejection(b!.write(nextRevision(withResource(readByB, 'from_b'), T0, 'test')));
    expect(stale.code).toBe('state-conflict');
    expect(stale.message).toContain('changed by another process');
    // A third runner that never read, writing a state of its own lineage.
    const c = new RemoteStateStore(kind, await objectsFor(kind), prefixOf(a!));
    const foreign = await rejection(c.write(nextRevision(emptyState(T0, 'test'), T0, 'test')));
    expect(foreign.code).toBe('state-conflict');
    expect(foreign.message).toContain('different lineage');
    // Nothing was lost: A's update is what is stored.
    expect(Object.keys((await c.read())!.resources)).toEqual(['Connection/from_a']);
  });

  it('the lock is exclusive, names its holder, and unlock --force breaks it saying whose it was', async () => {
    const [a, b] = await stores(kind, 2);
    const held = await a!.acquireLock({ operation: 'run' });
    const refused = await rejection(b!.acquireLock({ operation: 'apply' }));
    expect(refused.code).toBe('state-locked');
    expect(refused.message).toContain(`state is locked by run (`);
    expect(refused.message).toContain(`pid ${process.pid}`);
    expect(refused.hint).toContain('outflow state unlock --force');
    expect((await b!.readLock())?.id).toBe(held.info.id);
    // Its holder (this process) is alive: no unlock without --force.
    expect((await rejection(b!.unlock({}))).code).toBe('lock-alive');
    const broken = await b!.unlock({ force: true });
    expect(broken).toEqual({ removed: true, holder: held.info });
    const mine = await b!.acquireLock({ operation: 'apply' });
    // The old holder's release must not remove the new holder's lock.
    await held.release();
    expect((await a!.readLock())?.id).toBe(mine.info.id);
    await mine.release();
    expect(await a!.readLock()).toBeUndefined();
    expect(await b!.unlock({ force: true })).toEqual({ removed: false, holder: undefined });
  });
});

function prefixOf(store: RemoteStateStore): string {
  return store.describe().replace(/^.*\/team\/|\/state\.json$/g, '');
}

describe('remote state on azurite: conditional writes the store enforces', () => {
  it('refuses a create over an existing object and a replace of a changed one', async () => {
    const objects = await objectsFor('azure');
    const key = `outflow/raw-${++prefixes}/state.json`;
    const created = await objects.put(key, '1', undefined);
    expect(created).not.toBe('conflict');
    expect(await objects.put(key, '2', undefined)).toBe('conflict');
    const v1 = (created as { version: string }).version;
    const replaced = await objects.put(key, '2', v1);
    expect(replaced).not.toBe('conflict');
    // The version read before the replace is stale now: the store itself refuses it.
    expect(await objects.put(key, '3', v1)).toBe('conflict');
    expect(await objects.delete(key, v1)).toBe('conflict');
    expect((await objects.get(key))?.text).toBe('2');
  });

  it('two first writes racing: exactly one state is created, the other gets state-conflict', async () => {
    const racers = await stores('azure', 2);
    const docs = racers.map(() => nextRevision(emptyState(T0, 'test'), T0, 'test'));
    const results = await Promise.allSettled(racers.map((s, i) => s.write(docs[i]!)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as { code: string }).code).toBe('state-conflict');
    const stored = await racers[0]!.read();
    expect(docs.map((d) => d.lineage)).toContain(stored!.lineage);
  });

  it('five runners racing for the lock: exactly one holds it, the others name it', async () => {
    const racers = await stores('azure', 5);
    const results = await Promise.allSettled(racers.map((s) => s.acquireLock({ operation: 'run' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('state-locked');
    }
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });
});

// A runner's link to the store can drop a request (a keep-alive socket the server closed, a reset)
// or lose the answer to one the store carried out. Remote state retries the first, and recognises
// its own landed write in the second instead of calling it a conflict. Real stores behind a proxy.
describe.each(['gcs', 'azure'] as const)('remote state on %s over a flaky link', (kind) => {
  const proxies: FlakyProxy[] = [];
  afterAll(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });

  async function storeVia(faults: Parameters<typeof flakyHttpProxy>[1], prefix: string) {
    const target = kind === 'gcs' ? Number(new URL(gcs.url).port) : azure.port;
    const proxy = await flakyHttpProxy(target, faults);
    proxies.push(proxy);
    const { config } = connections[kind]();
    const env =
      kind === 'gcs'
        ? { STORAGE_EMULATOR_HOST: `http://127.0.0.1:${proxy.port}` }
        : { STATE_SECRET: azure.connectionString({ port: proxy.port }) };
    const node = { name: 'state_store', config } as unknown as ResourceNode<'Connection'>;
    const objects = await openConditionalObjects(node, { root: process.cwd(), env });
    return { proxy, store: new RemoteStateStore(kind, objects, prefix) };
  }

  it('retries reset and unavailable requests: read, write and lock go through', async () => {
    const prefix = `outflow/state-${++prefixes}`;
    const { proxy, store } = await storeVia({ unavailable: 1, reset: 2 }, prefix);
    expect(await store.read()).toBeUndefined();
    const doc = nextRevision(withResource(emptyState(T0, 'test'), 'a'), T0, 'test');
    await store.write(doc);
    const lock = await store.acquireLock({ operation: 'apply' });
    await lock.release();
    expect(proxy.counts).toMatchObject({ unavailable: 1, reset: 2 });
    const direct = new RemoteStateStore(kind, await objectsFor(kind), prefix);
    expect(await direct.read()).toEqual(doc);
    expect(await direct.readLock()).toBeUndefined();
  });

  it('a write whose answer was lost is recognised as written, not a conflict', async () => {
    const prefix = `outflow/state-${++prefixes}`;
    const writes = (req: { method?: string; url?: string }) =>
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      decodeURIComponent(req.url ?? '').includes('state.json');
    const { proxy, store } = await storeVia(
      { unavailable: 0, reset: 0, lostAnswers: 1, loses: writes },
      prefix,
    );
    const first = nextRevision(withResource(emptyState(T0, 'test'), 'a'), T0, 'test');
    await store.write(first);
    expect(proxy.counts.lost).toBe(1);
    // It knows the version it wrote: its next write goes over it.
    const second = nextRevision(withResource(first, 'b'), T0, 'test');
    await store.write(second);
    expect(await new RemoteStateStore(kind, await objectsFor(kind), prefix).read()).toEqual(second);
  });
});
