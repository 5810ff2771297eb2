import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StateDocument } from '../../src/state/index.js';
import {
  type ActivationProjectOptions,
  activationFlows as flows,
  writeActivationProject,
} from '../support/activation-project.js';
import { validatePlan } from '../support/plan-schema.js';
import { type Verify, WebhookReceiver } from '../support/servers/webhook.js';
import { tempDirs } from '../support/temp.js';
import { documentedVerify } from '../support/webhook-snippet.js';

// Activations against a real node:http receiver on 127.0.0.1 that verifies every request with the
// snippet of docs/activations.md, de-duplicates by webhook-id and keeps each segment's members.
// Runs the real binary (npm test builds it first).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const SECRET = 'cms-secret-4f1d9a7c2b';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-20T12:00:00Z');
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();

let verify: Verify;
const scratch = tempDirs('outflow-activation');
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  verify = await documentedVerify();
});

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});

afterAll(() => scratch.removeAll());

async function receiver(secret = SECRET): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver(verify, secret).start();
  receivers.push(r);
  return r;
}

type ProjectOptions = Omit<ActivationProjectOptions, 'url' | 'email'>;

/** A project: users (upsert) → audience eu_customers (country FR or DE) → activation newsletter. */
function project(r: WebhookReceiver, o: ProjectOptions = {}): string {
  const dir = scratch.make('p');
  writeActivationProject(dir, { ...o, url: r.url, email: true });
  return dir;
}

/** Writes data/users/<file>: one row per [id, country]. */
function users(dir: string, file: string, rows: [number, string][]): void {
  const lines = ['id,email,country', ...rows.map(([id, c]) => `${id},u${id}@example.com,${c}`)];
  writeFileSync(join(dir, 'data', 'users', file), `${lines.join('\n')}\n`);
}

/** The audience as the test computes it from its own data: ids whose latest country is FR or DE. */
function expectedMembers(latest: Map<number, string>): string[] {
  return [...latest.entries()]
    .filter(([, c]) => c === 'FR' || c === 'DE')
    .map(([id]) => String(id))
    .sort((a, b) => Number(a) - Number(b));
}

function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  return execa('node', [bin, '-C', dir, ...args], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', CMS_SECRET: SECRET, OUTFLOW_RETRY_MIN_MS: '10', ...env },
  });
}

const apply = (dir: string, hour: number, env?: Record<string, string>, extra: string[] = []) =>
  cli(dir, ['apply', '--auto-approve', '--now', at(hour), ...extra], env);

function state(dir: string): StateDocument {
  return JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8')) as StateDocument;
}

function bodies(r: WebhookReceiver) {
  return r.accepted.map(
    (q) =>
      JSON.parse(q.body) as {
        runId: string;
        batch: { index: number; count: number };
        added: { id: string; attributes: unknown }[];
        removed: { id: string }[];
        segment: { name: string; create: boolean };
        segmentGroup: string | null;
        updateMethod: string;
      },
  );
}

const segmentIds = (r: WebhookReceiver) => r.members('cdp_audiences', 'eu_customers').map((m) => m.id);

describe('activation syncs to a webhook', () => {
  it('replace: three syncs with changing data leave the segment exactly the audience; no change sends nothing', {
    timeout: 120_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { updateMethod: 'replace' });
    const latest = new Map<number, string>();
    const put = (file: string, rows: [number, string][]) => {
      users(dir, file, rows);
      for (const [id, c] of rows) latest.set(id, c);
    };
    put('users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
      [3, 'US'],
      [4, 'FR'],
      [5, 'DE'],
      [6, 'IT'],
      [7, 'FR'],
    ]);
    const plan = await cli(dir, ['plan', '--now', at(0)]);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/sync\s+Activation\/newsletter/);

    const first = await apply(dir, 0);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/eu_customers → eu_customers: \+5 −0 in 2 batches/);
    expect(segmentIds(r)).toEqual(expectedMembers(latest));
    // The first sync of replace sends everyone as added, with the attributes exactly as configured.
    const b1 = bodies(r);
    expect(b1.map((b) => b.batch)).toEqual([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
    expect(b1.every((b) => b.added.length + b.removed.length <= 3)).toBe(true);
    expect(b1[0]!.added[0]).toEqual({ id: '1', attributes: { newsletter: 'yes', channel: null } });
    expect(new Set(b1.map((b) => b.runId)).size).toBe(1);
    expect(r.accepted.map((q) => q.id)).toEqual([`${b1[0]!.runId}.1`, `${b1[0]!.runId}.2`]);

    // Second sync: 2 leaves, 3 and 6 join, 8 is new; the plan counts it from the warehouse first.
    put('users-002.csv', [
      [2, 'US'],
      [3, 'DE'],
      [6, 'FR'],
      [8, 'DE'],
    ]);
    const ingestOnly = await cli(dir, ['apply', '--auto-approve', '--now', at(0.5)]);
    expect(ingestOnly.exitCode, ingestOnly.stdout + ingestOnly.stderr).toBe(0);
    expect(r.accepted).toHaveLength(2); // not due: nothing sent
    const plan2 = await cli(dir, ['plan', '--now', at(1)]);
    expect(plan2.stdout).toMatch(
      /sync eu_customers → segment eu_customers: \+3 −1 in 2 batches, 7 members after/,
    );
    // The JSON plan carries the same counts, and validates against schemas/plan.schema.json.
    const json = JSON.parse((await cli(dir, ['plan', '--now', at(1), '--format', 'json'])).stdout);
    expect(validatePlan(json), JSON.stringify(validatePlan.errors)).toBe(true);
    expect(json.impact.activations).toEqual([
      {
        address: 'Activation/newsletter',
        audiences: [
          { audience: 'eu_customers', segment: 'eu_customers', added: 3, removed: 1, members: 7, batches: 2 },
        ],
      },
    ]);
    const before = r.accepted.length;
    const second = await apply(dir, 1);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    const b2 = bodies(r).slice(before);
    expect(b2.flatMap((b) => b.added.map((m) => m.id)).sort()).toEqual(['3', '6', '8']);
    expect(b2.flatMap((b) => b.removed.map((m) => m.id))).toEqual(['2']);
    expect(segmentIds(r)).toEqual(expectedMembers(latest));

    // Third sync through `outflow run`: 1 and 4 leave, 9 joins.
    put('users-003.csv', [
      [1, 'US'],
      [4, 'ES'],
      [9, 'FR'],
    ]);
    const third = await cli(dir, ['run', '--now', at(2)]);
    expect(third.exitCode, third.stdout + third.stderr).toBe(0);
    expect(segmentIds(r)).toEqual(expectedMembers(latest));

    // No change: due, but no request at all.
    const quiet = r.requests.length;
    const fourth = await apply(dir, 3);
    expect(fourth.exitCode).toBe(0);
    expect(fourth.stdout).toMatch(/no membership change, nothing sent/);
    expect(r.requests).toHaveLength(quiet);

    // Changed attributes re-send every member with the new ones.
    writeFileSync(
      join(dir, 'flows', 'main.yaml'),
      flows({ email: true, attributes: '{newsletter: "no", tier: 2}' }),
    );
    const fifth = await apply(dir, 4);
    expect(fifth.exitCode, fifth.stdout + fifth.stderr).toBe(0);
    const members = r.members('cdp_audiences', 'eu_customers');
    expect(members.map((m) => m.id)).toEqual(expectedMembers(latest));
    expect(members.every((m) => JSON.stringify(m.attributes) === '{"newsletter":"no","tier":2}')).toBe(true);

    // Every batch was applied once; status shows the last sync.
    expect([...r.applied.values()].every((dupes) => dupes === 0)).toBe(true);
    const status = await cli(dir, ['status', '--now', at(4)]);
    expect(status.stdout).toMatch(
      /newsletter: eu_customers → segment eu_customers: \+6 −0, 2\/2 batches delivered, 6 members/,
    );
    const runs = await cli(dir, ['runs', 'newsletter']);
    expect(runs.stdout).toMatch(/newsletter: 5 syncs/);
  });

  it('the plan counts a first sync on a warehouse that never synced anything', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r);
    // No schedule yet: the first apply only ingests.
    writeFileSync(
      join(dir, 'flows', 'main.yaml'),
      flows({ email: true }).replace('schedule: {every: 1h}\n', ''),
    );
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
      [3, 'US'],
    ]);
    expect((await apply(dir, 0)).exitCode).toBe(0);
    expect(r.requests).toHaveLength(0);
    writeFileSync(join(dir, 'flows', 'main.yaml'), flows({ email: true }));
    const plan = await cli(dir, ['plan', '--now', at(1)]);
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /sync eu_customers → segment eu_customers: \+2 −0 in 1 batch, 2 members after/,
    );
  });

  it('add: members are only ever added; a member who leaves stays in the segment', {
    timeout: 120_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { updateMethod: 'add', batchSize: 2 });
    const everMember = new Set<string>();
    const latest = new Map<number, string>();
    const step = async (file: string, rows: [number, string][], hour: number) => {
      users(dir, file, rows);
      for (const [id, c] of rows) latest.set(id, c);
      for (const id of expectedMembers(latest)) everMember.add(id);
      const res = await apply(dir, hour);
      expect(res.exitCode, res.stdout + res.stderr).toBe(0);
      expect(segmentIds(r), res.stdout).toEqual([...everMember].sort((a, b) => Number(a) - Number(b)));
    };
    await step(
      'users-001.csv',
      [
        [1, 'FR'],
        [2, 'DE'],
        [3, 'US'],
      ],
      0,
    );
    await step(
      'users-002.csv',
      [
        [2, 'US'],
        [3, 'FR'],
      ],
      1,
    );
    await step(
      'users-003.csv',
      [
        [4, 'DE'],
        [1, 'IT'],
      ],
      2,
    );
    expect(bodies(r).every((b) => b.removed.length === 0 && b.updateMethod === 'add')).toBe(true);
    // 1, 2 first; then 3; then 4: each member sent once.
    expect(bodies(r).flatMap((b) => b.added.map((m) => m.id))).toEqual(['1', '2', '3', '4']);
  });

  it('four batches in flight: 40 batches, each applied once; a failure mid-way is resumed without re-sending accepted ones', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { batchSize: 2, concurrency: 4 });
    const rows: [number, string][] = Array.from({ length: 80 }, (_, i) => [i + 1, i % 2 === 0 ? 'FR' : 'DE']);
    users(dir, 'users-001.csv', rows);
    // Request 10 is refused (a 4xx is not retried): the sync fails with the others delivered.
    r.script.push(...Array.from({ length: 9 }, () => 'pass' as const), { status: 400 });
    const failed = await apply(dir, 0);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/rejected batch \d+\/40/);
    const acceptedBefore = new Set(r.accepted.map((q) => q.id));
    expect(acceptedBefore.size).toBeGreaterThanOrEqual(9);
    const resumed = await apply(dir, 1);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    const ids = r.accepted.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length); // no accepted batch sent twice
    expect(ids).toHaveLength(40);
    expect(segmentIds(r)).toEqual(expectedMembers(new Map(rows)));
  });

  it('a renamed segment starts from nobody; a deleted and re-created activation sends everyone again', {
    timeout: 90_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r);
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
    ]);
    expect((await apply(dir, 0)).exitCode).toBe(0);
    expect(segmentIds(r)).toEqual(['1', '2']);
    // Renamed: the new segment gets everyone as added; the old one is left as it was.
    writeFileSync(join(dir, 'flows', 'main.yaml'), flows({ email: true, segment: 'segment: {name: eu_v2}' }));
    const renamed = await apply(dir, 1);
    expect(renamed.exitCode, renamed.stdout + renamed.stderr).toBe(0);
    expect(renamed.stdout).toMatch(/eu_customers → eu_v2: \+2 −0/);
    expect(r.members('cdp_audiences', 'eu_v2').map((m) => m.id)).toEqual(['1', '2']);
    expect(segmentIds(r)).toEqual(['1', '2']);
    // Deleted (its delivered members are forgotten), then declared again: everyone is sent again.
    const withoutActivation = flows({ email: true, segment: 'segment: {name: eu_v2}' }).split(
      '---\nkind: Activation',
    )[0]!;
    writeFileSync(join(dir, 'flows', 'main.yaml'), withoutActivation);
    const deleted = await apply(dir, 2);
    expect(deleted.exitCode, deleted.stdout + deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/delete Activation\/newsletter/);
    const sentBefore = r.accepted.length;
    writeFileSync(join(dir, 'flows', 'main.yaml'), flows({ email: true, segment: 'segment: {name: eu_v2}' }));
    const recreated = await apply(dir, 3);
    expect(recreated.exitCode, recreated.stdout + recreated.stderr).toBe(0);
    expect(recreated.stdout).toMatch(/eu_customers → eu_v2: \+2 −0/);
    expect(r.accepted.length).toBe(sentBefore + 1);
  });

  it('sends another people column as the id when personIdentifier says so', { timeout: 60_000 }, async () => {
    const r = await receiver();
    const dir = project(r);
    writeFileSync(
      join(dir, 'flows', 'main.yaml'),
      flows({ email: true }).replace(
        'personIdentifier: userid\nsegmentGroup',
        'personIdentifier: email\nsegmentGroup',
      ),
    );
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'US'],
      [3, 'DE'],
    ]);
    const res = await apply(dir, 0);
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(segmentIds(r).sort()).toEqual(['u1@example.com', 'u3@example.com']);
  });

  it('retries 503, 503, then 429 with Retry-After: 1, then delivers each batch once with the same webhook-id', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { batchSize: 10 });
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
    ]);
    r.script.push({ status: 503 }, { status: 503 }, { status: 429, retryAfter: '1' });
    const res = await apply(dir, 0);
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(r.requests.map((q) => q.status)).toEqual([503, 503, 429, 200]);
    expect(new Set(r.requests.map((q) => q.id)).size).toBe(1);
    // Retry-After is honoured: the fourth attempt came at least a second after the 429.
    expect(r.requests[3]!.receivedAt - r.requests[2]!.receivedAt).toBeGreaterThanOrEqual(1000);
    expect(segmentIds(r)).toEqual(['1', '2']);
  });

  it('a receiver that hangs: timeouts are retried, then the failure is recorded and the next run resumes it', {
    timeout: 90_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { batchSize: 2, connectionExtra: '' });
    // A short retry budget for this test: 1 s timeouts within 3 s.
    writeFileSync(
      join(dir, 'flows', 'connections.yaml'),
      readFileSync(join(dir, 'flows', 'connections.yaml'), 'utf8')
        .replace('timeout: 2s', 'timeout: 1s')
        .replace('retryFor: 30s', 'retryFor: 3s'),
    );
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
      [3, 'FR'],
    ]);
    // The first batch is accepted, then the receiver stops answering.
    r.script.push('pass', 'hang', 'hang', 'hang', 'hang', 'hang', 'hang', 'hang', 'hang');
    const failed = await apply(dir, 0);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(
      /did not accept batch 2\/2 after \d+ attempts .*no answer within 1 s \(timeout\)/,
    );
    const hung = r.requests.filter((q) => q.status === 0);
    expect(hung.length).toBeGreaterThanOrEqual(2);
    const status = await cli(dir, ['status', '--now', at(0)]);
    expect(status.stdout).toMatch(/failed: error\[webhook-unavailable\]/);
    expect(status.stdout).toMatch(/eu_customers → segment eu_customers: \+3 −0, 1\/2 batches delivered/);
    const lastRun = state(dir).resources['Activation/newsletter']?.data?.runs?.at(-1);
    expect(lastRun?.status).toBe('failed');
    expect(lastRun?.sync?.[0]?.delivered).toBe(1);

    // The receiver is back: the next run sends batch 2 with the webhook-id it had, and only it.
    r.script.length = 0;
    const resumed = await apply(dir, 1);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    const answered = r.requests.filter((q) => q.status === 200);
    expect(answered.map((q) => q.id)).toEqual([hung[0]!.id.replace(/\.2$/, '.1'), hung[0]!.id]);
    expect(segmentIds(r)).toEqual(['1', '2', '3']);
  });

  it('kill -9 between batches, or after freezing, then a re-run: no batch re-sent, none lost', {
    timeout: 120_000,
  }, async () => {
    for (const point of ['activation.batch-delivered:2', 'activation.frozen']) {
      const r = await receiver();
      const dir = project(r, { batchSize: 2 });
      const rows: [number, string][] = Array.from({ length: 9 }, (_, i) => [
        i + 1,
        i % 3 === 2 ? 'US' : 'FR',
      ]);
      users(dir, 'users-001.csv', rows);
      const killed = await apply(dir, 0, { OUTFLOW_CRASH_AT: point });
      expect(killed.signal, `${point}: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
      expect(r.accepted).toHaveLength(point.startsWith('activation.batch-delivered') ? 2 : 0);
      // The killed apply left its lock; it belonged to a dead process, so unlock needs no --force.
      expect((await cli(dir, ['state', 'unlock'])).exitCode).toBe(0);
      const rerun = await apply(dir, 0);
      expect(rerun.exitCode, rerun.stdout + rerun.stderr).toBe(0);
      // One sync of 3 batches (6 members by 2), each sent exactly once, all with one runId.
      const ids = r.requests.map((q) => q.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(bodies(r).map((b) => `${b.batch.index}/${b.batch.count}`)).toEqual(['1/3', '2/3', '3/3']);
      expect(new Set(bodies(r).map((b) => b.runId)).size).toBe(1);
      expect(segmentIds(r)).toEqual(expectedMembers(new Map(rows)));
    }
  });

  it('a wrong secret on the receiver: 401, a clear error, nothing recorded as delivered', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver('the-receivers-other-secret');
    const dir = project(r);
    users(dir, 'users-001.csv', [[1, 'FR']]);
    const res = await apply(dir, 0);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/webhook "cms" refused batch 1\/1: HTTP 401/);
    expect(res.stdout + res.stderr).toMatch(/check clientId and clientSecret/);
    expect(res.stdout + res.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(state(dir).resources['Activation/newsletter']?.data?.runs?.at(-1)?.error?.code).toBe(
      'webhook-unauthorized',
    );
    expect(r.members('cdp_audiences', 'eu_customers')).toEqual([]);
  });

  it('create: false refuses a segment the receiver lacks (a 4xx is not retried)', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r, { segment: 'segment: {name: vip, create: false}' });
    users(dir, 'users-001.csv', [[1, 'FR']]);
    const res = await apply(dir, 0);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/rejected batch 1\/1 after 1 attempt: HTTP 404: .*segment vip does not exist/);
    expect(r.requests).toHaveLength(1);
    // Once the segment exists, the next run delivers the same batch.
    r.existing.add('cdp_audiences/vip');
    const again = await apply(dir, 1);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(r.members('cdp_audiences', 'vip').map((m) => m.id)).toEqual(['1']);
    expect(bodies(r)[0]!.segment).toEqual({ name: 'vip', create: false });
  });

  it('OAuth2: one token per run, a new one after a 401', { timeout: 60_000 }, async () => {
    const r = await receiver();
    const dir = project(r, { batchSize: 1, connectionExtra: '' });
    writeFileSync(
      join(dir, 'flows', 'connections.yaml'),
      `${readFileSync(join(dir, 'flows', 'connections.yaml'), 'utf8')}auth: {type: oauth2, tokenUrl: ${r.tokenUrl}}\n`,
    );
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'FR'],
      [3, 'FR'],
    ]);
    r.revokeTokenAfter = 2;
    const res = await apply(dir, 0);
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(r.tokens).toHaveLength(2);
    expect(r.accepted.map((q) => q.authorization)).toEqual([
      `Bearer ${r.tokens[0]}`,
      `Bearer ${r.tokens[0]}`,
      `Bearer ${r.tokens[1]}`,
    ]);
    expect(segmentIds(r)).toEqual(['1', '2', '3']);
  });

  it('--draft sends nothing and prints the first batch; --debug logs requests with credentials redacted; the secret is nowhere', {
    timeout: 60_000,
  }, async () => {
    const r = await receiver();
    const dir = project(r);
    users(dir, 'users-001.csv', [
      [1, 'FR'],
      [2, 'DE'],
    ]);
    const draft = await cli(dir, ['apply', '--draft', '--now', at(0)]);
    expect(draft.exitCode, draft.stdout + draft.stderr).toBe(0);
    expect(draft.stdout).toMatch(/draft, nothing sent: eu_customers → eu_customers: \+2 −0 in 1 batch/);
    expect(draft.stdout).toMatch(
      /would POST http:\/\/127\.0\.0\.1:\d+\/cdp\/webhook 1 batch; batch 1: \{"activation":"newsletter"/,
    );
    expect(r.requests).toHaveLength(0);

    r.script.push({ status: 500 });
    const debug = await cli(dir, ['--debug', 'apply', '--auto-approve', '--now', at(0)]);
    expect(debug.exitCode, debug.stdout + debug.stderr).toBe(0);
    expect(debug.stderr).toMatch(
      /webhook → POST http:\/\/127\.0\.0\.1:\d+\/cdp\/webhook batch 1\/1 attempt 1 .*authorization: Basic \[redacted\]/,
    );
    expect(debug.stderr).toMatch(/webhook-signature: v1,\[redacted\]/);
    expect(debug.stderr).toMatch(/webhook ← 500 batch 1\/1 in \d+ ms/);
    expect(debug.stderr).toMatch(/webhook ← 200 batch 1\/1 in \d+ ms/);
    const basic = Buffer.from(`outflow-test:${SECRET}`).toString('base64');
    const everything = [draft.stdout, draft.stderr, debug.stdout, debug.stderr, ...allFiles(dir)];
    for (const text of everything) {
      expect(text.includes(SECRET)).toBe(false);
      expect(text.includes(basic)).toBe(false);
    }
  });
});

/** Every file under `dir` (state, warehouse, logs), as latin1 text so binary files are searched too. */
function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...allFiles(path));
    else out.push(readFileSync(path).toString('latin1'));
  }
  return out;
}
