// `node bench/plan.mjs` (after `npm run build`): plan time for 100, 1,000 and 5,000 resources, with
// no state and as a no-op against saved state, beside the validate floor; and, when `terraform`
// is on PATH, Terraform's no-op plan of 1,000 `terraform_data` resources for the ratio.
// validate and the no-op plan are timed twice: with a warm user cache (a temp OUTFLOW_CACHE_DIR
// filled by one untimed run: parsed files and passed expressions remembered, the usual case of a
// config that did not change) and without it (OUTFLOW_CACHE_DIR=off: every file parsed, every
// expression checked by DuckDB, as on a first run or a fresh CI machine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordApplied } from '../dist/plan/index.js';
import { LocalStateBackend, nextRevision } from '../dist/state/index.js';
import { generateProject } from './generate.mjs';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const NOW = '2026-11-20T12:00:00Z';
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);

const cacheDir = mkdtempSync(join(tmpdir(), 'outflow-plan-bench-cache-'));

function median(cmd, args, cwd, expectCode = 0, cache = cacheDir, repeat = REPEAT) {
  const times = [];
  for (let i = repeat === 1 ? 0 : -1; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', OUTFLOW_CACHE_DIR: cache },
    });
    if (i < 0) continue; // the untimed first run fills the cache
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.status !== expectCode) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

// What an apply leaves: every resource recorded, every due export marked as run at NOW.
async function saveState(dir) {
  spawnSync('node', [bin, '-C', dir, 'plan', '--now', NOW, '--out', join(dir, 'plan.json')], {
    stdio: 'ignore',
  });
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  const now = new Date(plan.now);
  let state = {
    formatVersion: 1,
    lineage: '00000000-0000-4000-8000-000000000000',
    serial: 0,
    outflowVersion: 'bench',
    updatedAt: plan.now,
    resources: {},
  };
  for (const c of plan.resourceChanges) state = recordApplied(state, c, now);
  for (const a of plan.dataActions)
    if (a.type === 'export')
      state.resources[a.address].data = {
        runs: [
          {
            runId: a.runId,
            status: 'succeeded',
            startedAt: plan.now,
            finishedAt: plan.now,
            window: a.window,
            rows: 0,
            files: [],
            bytes: 0,
            manifest: '',
          },
        ],
      };
  await new LocalStateBackend('.outflow/state.json', { root: dir }).write(nextRevision(state, now, 'bench'));
}

const rows = [];
let noopArgs1000; // the 1,000-resource project is kept for the Terraform comparison
let dir1000;
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-plan-bench-${n}-`));
  const count = generateProject(dir, n);
  const validate = median('node', [bin, '-C', dir, 'validate'], dir);
  const validateCold = median('node', [bin, '-C', dir, 'validate'], dir, 0, 'off');
  const fresh = median('node', [bin, '-C', dir, 'plan', '--now', NOW], dir);
  await saveState(dir);
  const noopArgs = [bin, '-C', dir, 'plan', '--now', NOW, '--detailed-exitcode'];
  const noop = median('node', noopArgs, dir, 0);
  const noopCold = median('node', noopArgs, dir, 0, 'off');
  if (n === 1000) {
    noopArgs1000 = noopArgs;
    dir1000 = dir;
  }
  rows.push({
    resources: count,
    'validate (s)': validate.toFixed(3),
    'validate, no cache (s)': validateCold.toFixed(3),
    'plan, no state (s)': fresh.toFixed(3),
    'plan, no-op (s)': noop.toFixed(3),
    'plan, no-op, no cache (s)': noopCold.toFixed(3),
    'no-op − validate (s)': (noop - validate).toFixed(3),
  });
  if (n !== 1000) rmSync(dir, { recursive: true, force: true });
}
console.log(`outflow plan bench (median of ${REPEAT} runs)`);
console.table(rows);

const tf = spawnSync('terraform', ['version'], { encoding: 'utf8' });
if (tf.status === 0 && dir1000 !== undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-tf-bench-'));
  const tfResources = Array.from(
    { length: 1000 },
    (_, i) => `resource "terraform_data" "r${i}" {\n  input = "v${i}"\n}\n`,
  );
  writeFileSync(join(dir, 'main.tf'), tfResources.join('\n'));
  const run = (args) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8' });
  run(['init', '-input=false']);
  const withoutState = median('terraform', ['plan', '-input=false', '-lock=false'], dir);
  run(['apply', '-auto-approve', '-input=false', '-parallelism=50']);
  // Alternating, so the machine's load hits both alike: Terraform's no-op plan (exit 0 with
  // -detailed-exitcode) and outflow's (warm cache), REPEAT times each.
  const tfTimes = [];
  const ourTimes = [];
  for (let i = 0; i < REPEAT; i++) {
    tfTimes.push(
      median('terraform', ['plan', '-detailed-exitcode', '-input=false', '-lock=false'], dir, 0, cacheDir, 1),
    );
    ourTimes.push(median('node', noopArgs1000, dir1000, 0, cacheDir, 1));
  }
  const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const withState = mid(tfTimes);
  const ours = mid(ourTimes);
  console.log(
    `terraform no-op plan of 1000 terraform_data: ${withState.toFixed(3)} s with state, ${withoutState.toFixed(3)} s without; ` +
      `outflow no-op plan of 1000 resources (warm cache), alternating: ${ours.toFixed(3)} s → ${(withState / ours).toFixed(2)}× (target ≥ 5×)`,
  );
  rmSync(dir, { recursive: true, force: true });
}
if (dir1000 !== undefined) rmSync(dir1000, { recursive: true, force: true });
rmSync(cacheDir, { recursive: true, force: true });
