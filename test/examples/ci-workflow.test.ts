import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sampleEventsNdjson, sampleUsersCsv } from '../../src/cli/init-template.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';
import { connectionsOf, EXAMPLES, expectPublished, type Published, s3Store } from './support.js';

// Issue 12: examples/ci/outflow.yml works. Its `apply` and `run-due` jobs run here step by step,
// each in a fresh folder (a fresh runner), with the workflow's env and the secrets and variables
// it names, against s3rver on 127.0.0.1: the repository is examples/ci/project plus the outflow
// tarball `npm pack` makes of this checkout, committed as outflow.tgz (the workflow's default
// OUTFLOW_PACKAGE). `uses:` steps are emulated: checkout copies the repository, setup-node does
// nothing (node is here), actions/cache restores .outflow/ from a folder of this test and saves it
// after the job; any other action fails the test. `run:` steps run as GitHub runs them,
// `bash -e` in the workspace. What the jobs publish together must equal what one machine with
// local state publishes, row for row.
//
// Install: the first job runs the install step for real (`npm install --global` of the tarball)
// into a temp prefix whose bin/ comes first on PATH, from the npm cache (`prefer-offline`, the
// cache `npm ci` filled). It takes 25-45 s here (most of it unpacking ~200 MB of dependencies,
// DuckDB's binary among them), so the later jobs, whose install step is the same text with the
// same tarball, keep that install instead of repeating it: as if the runner image had it.
// The tarball is packed with --ignore-scripts: prepack would run `npm run build`, which the
// binary tests need done before they run anyway (npm test's pretest), so dist/ is already built.

const ROOT = join(import.meta.dirname, '..', '..');
const WORKFLOW = join(EXAMPLES, 'ci', 'outflow.yml');
const PROJECT = join(EXAMPLES, 'ci', 'project');
const lake = connectionsOf(PROJECT).lake!;
const BUCKET = String(lake.bucket);
const exportsPrefix = String(connectionsOf(PROJECT).exports_out!.prefix);

/** The repository secrets and variables this test sets: the workflow names exactly these secrets. */
const SECRETS = { AWS_ACCESS_KEY_ID: S3RVER_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_KEY };
const vars = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_S3: endpoint,
  // s3rver keeps the SDK's aws-chunked framing in the objects (TEST-SERVERS.md).
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
});

// The clock of each run --due (a workflow_dispatch input): the hours after now that cross one
// and two 03:00 (Paris) and are past events_out's 4 h, so both exports are due whatever the hour.
const HOUR = 3_600_000;
const N1 = new Date(Math.ceil((Date.now() + 25 * HOUR) / HOUR) * HOUR);
const N2 = new Date(N1.getTime() + 25 * HOUR);

const scratchDirs: string[] = [];
const temp = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `outflow-ci-${prefix}-`));
  scratchDirs.push(dir);
  return dir;
};

let s3: S3TestServer;
let client: S3Client;
/** The repository the workflow runs in: the example project and outflow.tgz. */
let repository: string;
/** npm's global prefix for the jobs (npm_config_prefix): bin/ first on PATH. */
let prefix: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: npm run build');
  s3 = await startS3rver([BUCKET]);
  client = s3.client();
  repository = join(temp('repo'), 'repo');
  cpSync(PROJECT, repository, { recursive: true });
  const packed = await execa(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', repository],
    {
      cwd: ROOT,
    },
  );
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  renameSync(join(repository, filename), join(repository, 'outflow.tgz'));
  prefix = temp('npm-prefix');
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

// ---------- GitHub expressions: the subset the workflow uses ----------

type Value = string | boolean;
interface Contexts {
  github: Record<string, string>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  inputs: Record<string, string>;
  env: Record<string, string>;
}

/** Evaluates `a || 'b'`, `x == 'y'`, `&&`, `!=`, parentheses, literals and context paths. */
function evaluate(expression: string, ctx: Contexts): Value {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[()]|[A-Za-z_][\w.-]*|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): Value => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of \${{ ${expression} }}`);
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') throw new Error(`missing ) in \${{ ${expression} }}`);
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replaceAll("''", "'");
    if (t === 'true' || t === 'false') return t === 'true';
    const [root, name, ...rest] = t.split('.');
    if (!(root! in ctx) || name === undefined || rest.length > 0)
      throw new Error(`\${{ ${expression} }}: ${t} is not something this test emulates`);
    return ctx[root as keyof Contexts][name] ?? '';
  };
  const comparison = (): Value => {
    const left = primary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    i++;
    const equal = String(left).toLowerCase() === String(primary()).toLowerCase();
    return op === '==' ? equal : !equal;
  };
  const and = (): Value => {
    let v = comparison();
    while (peek() === '&&') {
      i++;
      const r = comparison();
      v = v === '' || v === false ? v : r;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === '||') {
      i++;
      const r = and();
      v = v === '' || v === false ? r : v;
    }
    return v;
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`cannot evaluate \${{ ${expression} }}`);
  return v;
}

const substitute = (text: string, ctx: Contexts): string =>
  text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => String(evaluate(e, ctx)));

const truthy = (v: Value): boolean => v !== '' && v !== false;

// ---------- the workflow, run job by job ----------

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;

/** A GitHub event that starts a workflow run. */
interface Event {
  name: 'push' | 'schedule' | 'workflow_dispatch';
  runId: number;
  inputs?: Record<string, string>;
}

/** actions/cache's store: entries in the order they were saved (restore-keys pick the newest). */
const cacheStore: { key: string; dir: string }[] = [];
let cacheDir: string | undefined;

let installStep: { script: string; seconds: number } | undefined;

/** A runner's environment: PATH with the npm prefix first (node from here), HOME for npm's cache. */
function runnerEnv(workspace: string, runnerTemp: string): Record<string, string> {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && !p.includes('node_modules'))
    .join(delimiter);
  const passed = ['HOME', 'LANG', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY'];
  const env: Record<string, string> = {};
  for (const name of passed) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return {
    ...env,
    PATH: `${join(prefix, 'bin')}${delimiter}${path}`,
    npm_config_prefix: prefix,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    // outflow's expression cache in ~/.cache is off in every test (vitest.config.ts).
    OUTFLOW_CACHE_DIR: 'off',
    GITHUB_WORKSPACE: workspace,
    GITHUB_ENV: join(runnerTemp, 'github-env'),
    GITHUB_OUTPUT: join(runnerTemp, 'github-output'),
    RUNNER_TEMP: runnerTemp,
  };
}

interface JobResult {
  workspace: string;
  /** stdout and stderr of each `run:` step, by step name. */
  output: Record<string, string>;
  /** What the cache step did: `restored <key>`, `miss`, `unavailable`. */
  cache: string;
}

/**
 * Runs job `name` of the workflow for `event` in a fresh workspace. `cacheService: false` is the
 * cache service answering errors, which actions/cache only warns about: nothing restored or saved.
 */
async function runJob(
  name: string,
  event: Event,
  options: { cacheService?: boolean } = {},
): Promise<JobResult> {
  const job = workflow.jobs[name]!;
  const ctx: Contexts = {
    github: { event_name: event.name, run_id: String(event.runId), run_attempt: '1', ref: 'refs/heads/main' },
    secrets: SECRETS,
    vars: vars(s3.endpoint),
    inputs: event.inputs ?? {},
    env: {},
  };
  // Exactly this job runs for this event.
  const running = Object.entries(workflow.jobs)
    .filter(([, j]) => j.if === undefined || truthy(evaluate(j.if, ctx)))
    .map(([n]) => n);
  expect(running).toEqual([name]);

  const workspace = join(temp(`job-${name}`), 'workspace');
  const runnerTemp = temp('runner-temp');
  for (const [k, v] of Object.entries({ ...workflow.env, ...job.env }))
    ctx.env[k] = substitute(String(v), ctx);
  const result: JobResult = { workspace, output: {}, cache: '' };
  const post: (() => void)[] = [];

  for (const [index, step] of job.steps.entries()) {
    const title = step.name ?? step.uses ?? `step ${index + 1}`;
    if (step.if !== undefined && !truthy(evaluate(step.if, ctx))) continue;
    const uses = step.uses?.replace(/@v\d+$/, '');
    if (uses === 'actions/checkout') {
      cpSync(repository, workspace, { recursive: true });
    } else if (uses === 'actions/setup-node') {
      expect(Number(step.with?.['node-version'])).toBeGreaterThanOrEqual(20);
    } else if (uses === 'actions/cache') {
      const path = join(workspace, substitute(String(step.with!.path), ctx));
      const key = substitute(String(step.with!.key), ctx);
      const restoreKeys = substitute(String(step.with!['restore-keys'] ?? ''), ctx)
        .split('\n')
        .filter((k) => k !== '');
      if (options.cacheService === false) {
        result.cache = 'unavailable';
        continue;
      }
      const hit =
        cacheStore.find((e) => e.key === key) ??
        restoreKeys.map((p) => cacheStore.findLast((e) => e.key.startsWith(p))).find((e) => e !== undefined);
      result.cache = hit === undefined ? 'miss' : `restored ${hit.key}`;
      if (hit !== undefined) cpSync(hit.dir, path, { recursive: true });
      // The post step: after a successful job, save under `key` unless that key exists.
      post.push(() => {
        if (cacheStore.some((e) => e.key === key) || !existsSync(path)) return;
        cacheDir ??= temp('cache');
        const dir = join(cacheDir, key);
        cpSync(path, dir, { recursive: true });
        cacheStore.push({ key, dir });
      });
    } else if (step.uses !== undefined) {
      throw new Error(`${name}: step "${title}" uses ${step.uses}, which this test does not emulate`);
    } else {
      const script = substitute(step.run!, ctx);
      const env: Record<string, string> = { ...runnerEnv(workspace, runnerTemp), ...ctx.env };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), ctx);
      if (script.includes('npm install --global') && installStep !== undefined) {
        // Later jobs: the same install step, already done (see the top of this file).
        expect(script).toBe(installStep.script);
        continue;
      }
      const file = join(runnerTemp, `step-${index}.sh`);
      writeFileSync(file, script);
      const started = Date.now();
      const r = await execa('bash', ['--noprofile', '--norc', '-e', file], {
        cwd: workspace,
        env,
        extendEnv: false,
        reject: false,
        all: true,
      });
      if (script.includes('npm install --global'))
        installStep = { script, seconds: (Date.now() - started) / 1000 };
      result.output[title] = r.all ?? '';
      expect(r.exitCode, `${name}: "${title}" failed:\n${r.all}`).toBe(0);
    }
  }
  for (const p of post.reverse()) p();
  return result;
}

// ---------- stream files delivered to the bucket, and what was published ----------

async function deliver(files: Record<string, string>): Promise<void> {
  for (const [key, body] of Object.entries(files))
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

const first = {
  'incoming/users/users-001.csv': sampleUsersCsv(),
  'incoming/events/events-001.ndjson': sampleEventsNdjson(),
};
/** New events, late events (old timestamps) and five users with a changed email. */
function second(): Record<string, string> {
  const users = sampleUsersCsv().trimEnd().split('\n');
  const changed = users.slice(1, 6).map((l) => l.replace('@example.com', '@changed.example.com'));
  return {
    'incoming/events/events-002.ndjson': sampleEventsNdjson(300, N1.getTime() - HOUR),
    'incoming/events/events-003.ndjson': sampleEventsNdjson(120, N1.getTime() - 40 * 24 * HOUR),
    'incoming/users/users-002.csv': `${[users[0], ...changed].join('\n')}\n`,
  };
}
const third = (): Record<string, string> => ({
  'incoming/events/events-004.ndjson': sampleEventsNdjson(250, N2.getTime() - HOUR),
  'incoming/events/events-005.ndjson': sampleEventsNdjson(80, N2.getTime() - 60 * 24 * HOUR),
});

/** The stream files a job downloaded to ingest, from outflow's progress lines. */
const ingested = (output: string): string[] =>
  [...output.matchAll(/↓ lake:(incoming\/\S+): /g)].map((m) => m[1]!).sort();

/** The data rows of every file of `exportName`'s manifests, sorted, and of each run by its window's end. */
async function rows(
  published: Published[],
  root: string,
  exportName: string,
): Promise<{ all: string[]; byRunEnd: Map<number, string[]> }> {
  const store = s3Store(client, BUCKET, root);
  const all: string[] = [];
  const byRunEnd = new Map<number, string[]>();
  for (const { manifest } of published.filter((p) => p.manifest.export === exportName)) {
    const run: string[] = [];
    for (const f of manifest.files)
      run.push(...(await store.read(f.name)).toString('utf8').trimEnd().split('\n').slice(1));
    all.push(...run);
    byRunEnd.set(new Date(manifest.window.to).getTime(), run.sort());
  }
  return { all: all.sort(), byRunEnd };
}

/** One machine, local state, exporting below `reference/`: the same deliveries at the same times. */
function referenceProject(): string {
  const dir = join(temp('reference'), 'project');
  cpSync(PROJECT, dir, { recursive: true });
  const project = readFileSync(join(dir, 'outflow.yaml'), 'utf8');
  writeFileSync(join(dir, 'outflow.yaml'), project.replace(/^state:\n(?: .*\n)+/m, ''));
  const connections = readFileSync(join(dir, 'flows', 'connections.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'flows', 'connections.yaml'),
    connections.replace(`prefix: ${exportsPrefix}\n`, 'prefix: reference\n'),
  );
  return dir;
}

async function reference(dir: string, args: string[]): Promise<void> {
  const r = await execa('node', [join(ROOT, 'bin', 'outflow.js'), '-C', dir, ...args], {
    reject: false,
    extendEnv: false,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CI: 'true',
      OUTFLOW_CACHE_DIR: 'off',
      ...SECRETS,
      ...vars(s3.endpoint),
    },
  });
  expect(r.exitCode, `reference ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  expect(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8')).toContain('"lineage"');
}

describe('examples/ci/outflow.yml', () => {
  it('names exactly the secrets this test sets, and its plan job is valid bash', async () => {
    const text = readFileSync(WORKFLOW, 'utf8');
    const secrets = new Set([...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect([...secrets].sort()).toEqual(Object.keys(SECRETS).sort());
    const named = new Set([...text.matchAll(/vars\.([A-Z0-9_]+)/g)].map((m) => m[1]));
    for (const v of Object.keys(vars(''))) expect(named).toContain(v);
    expect(text).not.toMatch(/npm install --global outflow\b/);
    // Not run (it needs a pull request and GitHub's API), but every run: of it parses as bash.
    for (const step of workflow.jobs.plan!.steps.filter((s) => s.run !== undefined)) {
      const r = await execa('bash', ['-n'], {
        input: step.run!.replace(/\$\{\{[^}]*\}\}/g, 'x'),
        reject: false,
      });
      expect(r.exitCode, `${step.name}: ${r.stderr}`).toBe(0);
    }
  });

  it('apply, then run --due on fresh runners, install from a tarball, rebuild or top up .outflow/ and publish what one machine does', {
    timeout: 180_000,
  }, async () => {
    await deliver(first);
    const ref = referenceProject();
    await reference(ref, ['apply', '--auto-approve']);

    // Push to main: apply. Nothing cached yet; the warehouse is made, both files ingested.
    const applied = await runJob('apply', { name: 'push', runId: 101 });
    expect(applied.cache).toBe('miss');
    const applyOut = applied.output['outflow apply']!;
    expect(applyOut).toContain('Apply complete');
    expect(ingested(applyOut)).toEqual(Object.keys(first).sort());
    expect(applyOut).not.toContain('warehouse .outflow/warehouse.duckdb');
    // The outflow the jobs ran is the tarball's, installed in the temp prefix.
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(applied.output['Install outflow']).toMatch(new RegExp(`^${version.replaceAll('.', '\\.')}$`, 'm'));
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'outflow', 'dist', 'cli', 'main.js'))).toBe(true);
    console.log(`install step (npm install --global of the tarball): ${installStep!.seconds.toFixed(1)} s`);
    expect(cacheStore.map((e) => e.key)).toEqual(['outflow-101-1']);

    // Run at N1 by hand, the cache service down: a fresh runner rebuilds the warehouse from the
    // state's two segments, then ingests only the newly delivered files.
    const delivered2 = second();
    await deliver(delivered2);
    await reference(ref, ['run', '--due', '--now', N1.toISOString()]);
    const run1 = await runJob(
      'run-due',
      { name: 'workflow_dispatch', runId: 102, inputs: { now: N1.toISOString() } },
      { cacheService: false },
    );
    expect(run1.cache).toBe('unavailable');
    const run1Out = run1.output['outflow run --due']!;
    expect(run1Out).toContain(`outflow run at ${N1.toISOString()}`);
    expect(run1Out).toMatch(/warehouse \.outflow\/warehouse\.duckdb: rebuilt from 2 segments/);
    expect(ingested(run1Out)).toEqual(Object.keys(delivered2).sort());
    expect(cacheStore.map((e) => e.key)).toEqual(['outflow-101-1']);

    // Run at N2: the newest cache is the apply's, older than the state; outflow loads only the
    // segments it lacks (the run at N1's) and ingests only the third delivery.
    const delivered3 = third();
    await deliver(delivered3);
    await reference(ref, ['run', '--due', '--now', N2.toISOString()]);
    const run2 = await runJob('run-due', {
      name: 'workflow_dispatch',
      runId: 103,
      inputs: { now: N2.toISOString() },
    });
    expect(run2.cache).toBe('restored outflow-101-1');
    const run2Out = run2.output['outflow run --due']!;
    expect(run2Out).toMatch(/warehouse \.outflow\/warehouse\.duckdb: brought up to date from 2 segments/);
    expect(run2Out).not.toContain('rebuilt from');
    expect(ingested(run2Out)).toEqual(Object.keys(delivered3).sort());
    expect(cacheStore.map((e) => e.key)).toEqual(['outflow-101-1', 'outflow-103-1']);

    // The hourly schedule (no inputs: the clock, before N2): the newest cache agrees with the
    // state, nothing new is due, nothing is loaded or ingested.
    const hourly = await runJob('run-due', { name: 'schedule', runId: 104 });
    expect(hourly.cache).toBe('restored outflow-103-1');
    const hourlyOut = hourly.output['outflow run --due']!;
    expect(hourlyOut).not.toContain('warehouse .outflow/warehouse.duckdb');
    expect(ingested(hourlyOut)).toEqual([]);

    // What the runners published together is complete and equals the one machine's exports.
    const ci = await expectPublished(s3Store(client, BUCKET, exportsPrefix));
    const one = await expectPublished(s3Store(client, BUCKET, 'reference'));
    const ciEvents = await rows(ci, exportsPrefix, 'events_out');
    const oneEvents = await rows(one, 'reference', 'events_out');
    expect(ciEvents.all).toHaveLength(400 + 300 + 120 + 250 + 80);
    expect(ciEvents.all).toEqual(oneEvents.all);
    const ciBuyers = (await rows(ci, exportsPrefix, 'buyers_daily')).byRunEnd;
    const oneBuyers = (await rows(one, 'reference', 'buyers_daily')).byRunEnd;
    for (const at of [N1, N2]) {
      expect(ciBuyers.get(at.getTime()), `buyers_daily at ${at.toISOString()}`).toEqual(
        oneBuyers.get(at.getTime()),
      );
      expect(ciBuyers.get(at.getTime())!.length).toBeGreaterThan(0);
    }

    // The state lists one segment per ingest of events.
    const state = JSON.parse(
      (await s3Store(client, BUCKET, '').read('outflow/shop/state.json')).toString('utf8'),
    ) as { resources: Record<string, { data?: { segments?: { objects: { key: string }[] } } }> };
    expect(state.resources['Dataflow/events']!.data!.segments!.objects.map((o) => o.key)).toEqual([
      'warehouse/events/g1/1-400.parquet',
      'warehouse/events/g1/401-820.parquet',
      'warehouse/events/g1/821-1150.parquet',
    ]);
  });
});
