import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConditionalObjects } from '../../src/destinations/conditional.js';
import type { ResourceNode } from '../../src/model/index.js';
import { RemoteStateStore } from '../../src/state/remote-store.js';
import { runCli } from '../support/cli.js';
import { baseHeadRepo } from '../support/git-repo.js';
import { makeProject } from '../support/project.js';
import { AZURITE_KEY, type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { type GatedProxy, gatedHttpProxy } from '../support/servers/gated-proxy.js';

// Remote state (azure backend) through the real binary, against azurite, which enforces
// conditional writes as Azure does. Two project folders stand for two fresh CI checkouts of the
// same repository sharing one state prefix. Built binary: npm test builds it first.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T0 = '2026-11-16T00:00:00Z';
const LATER = '2026-11-16T05:00:00Z';
let azure: AzuriteServer;
let gate: GatedProxy;

beforeAll(async () => {
  azure = await startAzurite(['state']);
  // Holds every write of a state.json: the runner that holds the lock parks at its first state
  // write, so the other one is certain to find the lock taken (no sleeps, no timing).
  gate = await gatedHttpProxy(
    Number(new URL(azure.accountUrl()).port),
    (req) => req.method === 'PUT' && /\/state\.json(\?|$)/.test(req.url ?? ''),
  );
}, 120_000);

afterAll(async () => {
  await gate?.close();
  await azure?.stop();
});

let prefixes = 0;

/** A checkout of the `outflow init` project keeping its state in azurite under `ci/<prefix>`. */
function checkout(prefix: string): string {
  return makeProject('outflow-remote-', {
    name: 'shared',
    edit: {
      'outflow.yaml': (t) => `${t}state:\n  backend: azure\n  connection: state_store\n  prefix: ${prefix}\n`,
      'flows/connections.yaml': (t) =>
        `${t}---\nkind: Connection\nname: state_store\ntype: azure\ncontainer: state\nprefix: ci\nconnectionString: \${env:STATE_CONNECTION}\n`,
    },
  });
}

const env = (port?: number) => ({
  CI: 'true',
  NO_COLOR: '1',
  STATE_CONNECTION: azure.connectionString(port === undefined ? {} : { port }),
});

function outflow(dir: string, args: string[], port?: number): ResultPromise<{ reject: false }> {
  return execa('node', [bin, '-C', dir, ...args], { reject: false, env: env(port) }) as ResultPromise<{
    reject: false;
  }>;
}

async function storeAt(prefix: string): Promise<RemoteStateStore> {
  const node = {
    name: 'state_store',
    config: { type: 'azure', container: 'state', prefix: 'ci', connectionString: '${env:STATE_CONNECTION}' },
  } as unknown as ResourceNode<'Connection'>;
  return new RemoteStateStore('azure', await openConditionalObjects(node, { root: '/', env: env() }), prefix);
}

describe('remote state on azurite, through the outflow binary', () => {
  it('two fresh checkouts applying together: one does the work, the other exits 1 naming the lock holder; no lost update', {
    timeout: 120_000,
  }, async () => {
    const prefix = `race-${++prefixes}`;
    const dirs = [checkout(prefix), checkout(prefix)];
    const procs = dirs.map((dir) => outflow(dir, ['apply', '--auto-approve', '--now', T0], gate.port));
    // The lock holder cannot finish while the gate holds its state write: the first to exit lost.
    const loser = await Promise.race(procs.map((p, i) => p.then(() => i)));
    const winner = 1 - loser;
    const lost = await procs[loser]!;
    expect(lost.exitCode).toBe(1);
    expect(lost.stderr).toContain('error[state-locked]');
    expect(lost.stderr).toContain('state is locked by apply (');
    expect(lost.stderr).toContain(`pid ${procs[winner]!.pid}`);
    expect(lost.stderr).toContain('outflow state unlock --force');
    await gate.firstHeld;
    gate.open();
    const won = await procs[winner]!;
    expect(won.exitCode, won.stderr).toBe(0);
    for (const r of [lost, won]) expect(`${r.stdout}${r.stderr}`).not.toContain(AZURITE_KEY);

    // One state, written by the winner alone, with everything it applied and ran; the lock is gone.
    const store = await storeAt(prefix);
    const state = (await store.read())!;
    expect(Object.keys(state.resources).sort()).toEqual([
      'Audience/recent_buyers',
      'Connection/local_out',
      'Connection/state_store',
      'Dataflow/events',
      'Dataflow/users',
      'Export/buyers_daily',
      'Export/events_out',
      'Project/shared',
    ]);
    expect(state.resources['Export/events_out']?.data?.runs?.map((r) => r.status)).toEqual(['succeeded']);
    expect(await store.readLock()).toBeUndefined();
    // Only the winner has a warehouse and published files; nobody kept state in .outflow/.
    expect(existsSync(join(dirs[winner]!, '.outflow', 'warehouse.duckdb'))).toBe(true);
    expect(existsSync(join(dirs[loser]!, '.outflow', 'warehouse.duckdb'))).toBe(false);
    for (const dir of dirs) expect(existsSync(join(dir, '.outflow', 'state.json'))).toBe(false);
    expect(readFileSync(join(dirs[winner]!, '.outflow', 'warehouse.duckdb')).length).toBeGreaterThan(0);

    // The loser's checkout has no warehouse: it is rebuilt from the segments the state lists
    // (issue 12 part B), and the checkout runs what is due.
    const ran = await outflow(dirs[loser]!, ['run', '--due', '--now', LATER]);
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from 2 segments');
    const after = (await store.read())!;
    expect(after.lineage).toBe(state.lineage);
    expect(after.serial).toBeGreaterThan(state.serial);
    expect(after.resources['Export/events_out']?.data?.runs?.map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
  });

  it('two fresh runners (no .outflow/) racing run --due: the due export runs once, the other exits 1 naming the holder', {
    timeout: 120_000,
  }, async () => {
    const prefix = `run-race-${++prefixes}`;
    const applier = checkout(prefix);
    expect((await outflow(applier, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    // Two more fresh checkouts: whichever wins the lock rebuilds its warehouse from the segments.
    const first = checkout(prefix);
    const second = checkout(prefix);
    const store = await storeAt(prefix);
    const before = (await store.read())!;
    const runGate = await gatedHttpProxy(
      Number(new URL(azure.accountUrl()).port),
      (req) => req.method === 'PUT' && /\/state\.json(\?|$)/.test(req.url ?? ''),
    );
    try {
      const procs = [first, second].map((dir) =>
        outflow(dir, ['run', '--due', '--now', LATER], runGate.port),
      );
      const loser = await Promise.race(procs.map((p, i) => p.then(() => i)));
      const winner = 1 - loser;
      const lost = await procs[loser]!;
      expect(lost.exitCode).toBe(1);
      expect(lost.stderr).toContain('error[state-locked]');
      expect(lost.stderr).toContain(`state is locked by run (`);
      expect(lost.stderr).toContain(`pid ${procs[winner]!.pid}`);
      await runGate.firstHeld;
      runGate.open();
      const won = await procs[winner]!;
      expect(won.exitCode, won.stderr).toBe(0);
      expect(won.stdout).toContain('export Export/events_out');
      expect(won.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from');
    } finally {
      await runGate.close();
    }
    const after = (await store.read())!;
    expect(after.lineage).toBe(before.lineage);
    expect(after.serial).toBeGreaterThan(before.serial);
    expect(after.resources['Export/events_out']?.data?.runs?.map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(await store.readLock()).toBeUndefined();
  });

  it('rebuilds a warehouse of another lineage; refuses when the state records data no segment carries', {
    timeout: 120_000,
  }, async () => {
    const shared = `shared-${++prefixes}`;
    const first = checkout(shared);
    expect((await outflow(first, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    // A checkout whose warehouse was made for another state (another prefix), then pointed here.
    const other = checkout(`elsewhere-${prefixes}`);
    expect((await outflow(other, ['apply', '--auto-approve', '--now', T0])).exitCode).toBe(0);
    writeFileSync(
      join(other, 'outflow.yaml'),
      readFileSync(join(other, 'outflow.yaml'), 'utf8').replace(
        `prefix: elsewhere-${prefixes}`,
        `prefix: ${shared}`,
      ),
    );
    const rebuilt = await outflow(other, ['run', '--due', '--now', LATER]);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('warehouse .outflow/warehouse.duckdb: rebuilt from 2 segments');

    // A state whose events were ingested before it was remote (no segments): nothing can rebuild them.
    const store = await storeAt(shared);
    const state = (await store.read())!;
    const { segments: _gone, ...data } = state.resources['Dataflow/events']!.data!;
    state.resources['Dataflow/events']!.data = data;
    await store.write({ ...state, serial: state.serial + 1 });
    const fresh = checkout(shared);
    const refused = await outflow(fresh, ['run', '--due', '--now', '2026-11-17T05:00:00Z']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error[warehouse-not-here]');
    expect(refused.stderr).toContain('.outflow/warehouse.duckdb does not exist');
    expect(refused.stderr).toContain('the rows of Dataflow/events, ingested before its state was remote');
    expect(refused.stderr).toContain(
      'hint: warehouse segments and activation snapshots carry only what was ingested and synced since the state was remote',
    );
    expect(refused.stderr).not.toContain('    at ');
    expect((await store.read())!.serial).toBe(state.serial + 1);
    expect(await store.readLock()).toBeUndefined();
  });

  it('state unlock breaks a stale remote lock only with --force, and says whose it was', {
    timeout: 60_000,
  }, async () => {
    const prefix = `unlock-${++prefixes}`;
    const dir = checkout(prefix);
    const held = await (await storeAt(prefix)).acquireLock({ operation: 'run' });
    const blocked = await outflow(dir, ['run', '--due', '--now', T0]);
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain(`state is locked by run (`);
    const refused = await outflow(dir, ['state', 'unlock']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error[lock-alive]');
    const forced = await outflow(dir, ['state', 'unlock', '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(
      `Removed the state lock held by run (${held.info.owner}@${held.info.host} pid ${process.pid}`,
    );
    const again = await outflow(dir, ['state', 'unlock', '--force']);
    expect(again.stdout).toContain('No state lock to remove');
    expect(again.stdout).toContain(`/state/ci/${prefix}/state.lock`);
    const listed = await outflow(dir, ['state', 'list']);
    expect(listed.stdout).toContain(`/state/ci/${prefix}/state.json does not exist`);
    expect(`${listed.stdout}${forced.stdout}`).not.toContain(AZURITE_KEY);
  });
});

describe('state config diagnostics', () => {
  it('reports the renamed key, a missing prefix and a connection of the wrong type, with positions', async () => {
    const dir = makeProject('outflow-state-config-', {
      edit: {
        'outflow.yaml': (t) => `${t}state:\n  backend: azure\n  connection: local_out\n  key: state.json\n`,
      },
    });
    const r = await runCli(['-C', dir, 'validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/outflow\.yaml:\d+:\d+ error\[unknown-field\]: unknown field "key" in state/);
    expect(r.stderr).toContain('"key" is now "prefix"');
    const local = makeProject('outflow-state-config-', {
      edit: { 'outflow.yaml': (t) => `${t}state:\n  backend: azure\n  connection: local_out\n` },
    });
    const r2 = await runCli(['-C', local, 'validate']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/outflow\.yaml:\d+:\d+ error\[state-prefix-missing\]/);
    expect(r2.stderr).toMatch(
      /outflow\.yaml:\d+:\d+ error\[state-connection-type\]: state\.connection "local_out" is a local connection; backend azure needs an? azure one/,
    );
    const withPath = makeProject('outflow-state-config-', {
      edit: { 'outflow.yaml': (t) => `${t}state:\n  backend: local\n  path: .outflow/s.json\n  prefix: x\n` },
    });
    const r3 = await runCli(['-C', withPath, 'validate']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/error\[state-field-not-allowed\]: state\.prefix is only for remote backends/);
  });

  it("a PR plan (--base) without the state store's secret plans without state; a plain plan needs it", async () => {
    const project = checkout('pr');
    const dir = await baseHeadRepo(project, project);
    const pr = await runCli(['-C', dir, 'plan', '--base', 'main', '--no-data'], { env: { CI: 'true' } });
    expect(pr.code, pr.stderr).not.toBe(1);
    expect(pr.stderr).toContain('warning: state not read');
    expect(pr.stderr).toContain('STATE_CONNECTION');
    const plain = await runCli(['-C', dir, 'plan', '--no-data'], { env: { CI: 'true' } });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('error[secret-missing]');
  });
});
