// `npm run demo`: validate → plan → apply of the repository's own project, then where the files went.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './gen-lib.mjs';

const bin = join(root, 'bin', 'outflow.js');
// A fixed "now" inside the sample data's time range, so the audience has members on any day.
const NOW = '2026-11-20T12:00:00Z';

// The demo starts from nothing each time: no state, no warehouse, no output.
rmSync(join(root, '.outflow'), { recursive: true, force: true });
rmSync(join(root, 'out'), { recursive: true, force: true });

function step(title, args) {
  console.log(`\n$ outflow ${args.join(' ')}`);
  const r = spawnSync('node', [bin, '-C', root, ...args], {
    stdio: 'inherit',
    env: { ...process.env, CI: 'true' },
  });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status})`);
    process.exit(1);
  }
}

step('validate', ['validate']);
step('plan', ['plan', '--now', NOW]);
step('apply', ['apply', '--auto-approve', '--now', NOW]);

const out = join(root, 'out');
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(`${relative(root, p)} (${statSync(p).size} bytes)`);
  }
};
if (existsSync(out)) walk(out);
console.log(`\nDone. ${files.length} files were published under ${relative(process.cwd(), out) || '.'}/:`);
for (const f of files.sort()) console.log(`  ${f}`);
console.log('State: .outflow/state.json · warehouse: .outflow/warehouse.duckdb');
