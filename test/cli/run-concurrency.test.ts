import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/index.js';
import { runCli } from '../support/cli.js';
import { eventFile, makeProject, publishedUserIds, runsOf } from './run-support.js';

// Real processes: the lock is per process (pid, O_EXCL file). Runs the built binary (npm test builds it).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T0 = '2026-11-16T00:00:00Z';
const LATER = '2026-11-16T05:00:00Z';
const run = (dir: string, ...args: string[]) =>
  execa('node', [bin, '-C', dir, 'run', '--now', LATER, ...args], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
  });

async function appliedProject(): Promise<string> {
  const dir = makeProject();
  eventFile(dir, 'events-000', 30, new Date(T0));
  const applied = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', T0]);
  expect(applied.code, applied.stderr).toBe(0);
  eventFile(dir, 'events-001', 30, new Date(LATER));
  return dir;
}

describe('concurrent outflow run processes', () => {
  it('a run finding the lock held exits 1 naming the holder; --wait waits for it', {
    timeout: 60_000,
  }, async () => {
    const dir = await appliedProject();
    const held = await acquireLock(join(dir, '.outflow', 'state.lock'), { operation: 'run' });
    const refused = await run(dir);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('error[state-locked]');
    expect(refused.stderr).toContain(`pid ${process.pid}`);
    expect(refused.stderr).toContain('state is locked by run (');
    const waiting = run(dir, '--wait', '20s');
    setTimeout(() => void held.release(), 700);
    const waited = await waiting;
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(runsOf(dir, 'events_out')).toHaveLength(2);
  });

  it('two runs started together: each due run happens once, every row once', {
    timeout: 60_000,
  }, async () => {
    const dir = await appliedProject();
    const [a, b] = await Promise.all([run(dir, '--wait', '30s'), run(dir, '--wait', '30s')]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    // One of them ran the due export; the other found nothing due once it had the lock.
    expect([a.stdout, b.stdout].filter((s) => s.includes('Nothing due.'))).toHaveLength(1);
    expect(runsOf(dir, 'events_out')).toHaveLength(2);
    expect(publishedUserIds(dir, 'events_out').ids).toHaveLength(60);
  });
});
