// Watch latency: from a config file write to `outflow watch` printing the re-plan (its "✓ valid" line).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Starts `outflow watch` in `dir`, saves one file `samples` times, and returns the latencies (ms). */
export async function watchLatencies(bin, dir, samples) {
  const child = spawn(process.execPath, [bin, '-C', dir, 'watch'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  let waiter;
  child.stdout.on('data', (chunk) => {
    out += chunk.toString('utf8');
    waiter?.();
  });
  const until = (text, from, ms = 30_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`watch printed no "${text}":\n${out.slice(-2000)}`)),
        ms,
      );
      waiter = () => {
        if (out.indexOf(text, from) === -1) return;
        clearTimeout(timer);
        waiter = undefined;
        resolve(performance.now());
      };
      waiter();
    });
  try {
    await until('✓ valid', 0);
    const file = join(dir, 'flows', 'group-0000.yaml');
    const original = readFileSync(file, 'utf8');
    const times = [];
    for (let i = 0; i < samples; i++) {
      // Let the debounce and the previous cycle settle, so each sample is one save.
      await new Promise((r) => setTimeout(r, 150));
      const from = out.length;
      const t0 = performance.now();
      writeFileSync(file, original.replace('team: t0}', `team: t0_${i}}`));
      times.push((await until('✓ valid', from)) - t0);
    }
    return times;
  } finally {
    child.kill('SIGINT');
  }
}

/** p50 and p90 of a list of numbers. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p90: at(0.9) };
}
