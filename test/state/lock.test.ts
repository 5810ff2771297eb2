import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OutflowError } from '../../src/diagnostics/errors.js';
import type { LockInfo, StateLock } from '../../src/state/index.js';
import { acquireLock, describeLock, readLock, unlock } from '../../src/state/index.js';
import { compileStateModule } from './support/compile-state.js';
import { startHolder, writeHolderScript } from './support/lock-holder.js';
import { makeTempDir } from './support/temp-dir.js';

async function caught(promise: Promise<unknown>): Promise<OutflowError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutflowError) return error;
    throw error;
  }
  throw new Error('expected an OutflowError, nothing was thrown');
}

let build: Awaited<ReturnType<typeof makeTempDir>>;
let indexUrl: string;
let holderScript: string;

beforeAll(async () => {
  build = await makeTempDir('lock-build');
  indexUrl = await compileStateModule(build.dir);
  holderScript = await writeHolderScript(build.dir);
});
afterAll(() => build.remove());

describe('state lock', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let lockPath: string;
  const held: StateLock[] = [];

  beforeEach(async () => {
    temp = await makeTempDir('lock');
    lockPath = join(temp.dir, '.outflow/state.lock');
  });
  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    await temp.remove();
  });

  it('writes who holds it, and release removes it', async () => {
    const lock = await acquireLock(lockPath, { operation: 'apply' });
    const onDisk = JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
    expect(onDisk).toEqual(lock.info);
    expect(onDisk).toMatchObject({ operation: 'apply', pid: process.pid, host: hostname() });
    expect(onDisk.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readLock(lockPath)).toEqual(lock.info);
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);
    await lock.release(); // twice is fine
    expect(await readLock(lockPath)).toBeUndefined();
  });

  it('lets exactly one of two racing acquires win', async () => {
    const results = await Promise.allSettled([
      acquireLock(lockPath, { operation: 'apply' }),
      acquireLock(lockPath, { operation: 'run' }),
    ]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as OutflowError] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    held.push(...won);
    const winner = won[0]!.info;
    expect(lost[0]!.code).toBe('state-locked');
    expect(lost[0]!.message).toContain(`state is locked by ${winner.operation} (`);
    expect(lost[0]!.message).toContain(`pid ${process.pid}`);
    expect(lost[0]!.hint).toBe('if that process is gone, run "outflow state unlock"');
    expect(lost[0]!.meta).toMatchObject({ holder: winner });
  });

  it('lets exactly one of four racing processes win, and the others name it', async () => {
    const startAt = Date.now() + 1500; // all four are running by then
    const holders = ['apply', 'run', 'apply', 'run'].map((op) =>
      startHolder(holderScript, indexUrl, lockPath, op, { startAt }),
    );
    const attempts = await Promise.all(holders.map((h) => h.attempt));
    const winners = attempts.flatMap((a) => (a.won ? [a.info] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const attempt of attempts) {
      if (attempt.won) continue;
      expect(attempt.code).toBe('state-locked');
      expect(attempt.message).toContain(`state is locked by ${winner.operation} (`);
      expect(attempt.message).toContain(`pid ${winner.pid},`);
    }
    for (const h of holders) h.child.stdin?.end();
    await Promise.all(holders.map((h) => h.exited));
    expect(existsSync(lockPath)).toBe(false);
  });

  it('names the holder, its age and the way out', async () => {
    const info: LockInfo = {
      id: '00000000-0000-4000-8000-000000000000',
      operation: 'apply',
      owner: 'alice',
      pid: 4242,
      host: 'host',
      createdAt: new Date(Date.now() - 3 * 60_000 - 5_000).toISOString(),
    };
    await mkdir(dirname(lockPath), { recursive: true });
    await writeFile(lockPath, JSON.stringify(info));
    const error = await caught(acquireLock(lockPath, { operation: 'run' }));
    expect(error.code).toBe('state-locked');
    expect(error.message).toBe('state is locked by apply (alice@host pid 4242, 3 min ago)');
    expect(error.hint).toBe('if that process is gone, run "outflow state unlock"');
    expect(describeLock(info, new Date(Date.parse(info.createdAt) + 2 * 3_600_000))).toBe(
      'apply (alice@host pid 4242, 2 h ago)',
    );
    // On another host outflow cannot tell whether the holder lives: `state unlock` trusts the user.
    expect(await unlock(lockPath)).toEqual({ removed: true, holder: info });
    expect(existsSync(lockPath)).toBe(false);
  });

  it('waits for the holder to release when asked to', async () => {
    const first = await acquireLock(lockPath, { operation: 'apply' });
    const started = Date.now();
    const second = acquireLock(lockPath, { operation: 'run', wait: 10_000 });
    await sleep(400);
    await first.release();
    const lock = await second;
    held.push(lock);
    expect(lock.info.operation).toBe('run');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await readLock(lockPath)).toEqual(lock.info);
  });

  it('gives up after the wait', async () => {
    held.push(await acquireLock(lockPath, { operation: 'apply' }));
    const started = Date.now();
    const error = await caught(acquireLock(lockPath, { operation: 'run', wait: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(error.code).toBe('state-locked');
    expect(error.message).toMatch(/^state is locked by apply \(.*\) \(gave up after waiting 300 ms\)$/);
  });

  it('unlocks a lock whose holder was killed, without force', async () => {
    const holder = startHolder(holderScript, indexUrl, lockPath, 'apply');
    const attempt = await holder.attempt;
    expect(attempt.won).toBe(true);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const info = await readLock(lockPath);
    expect(info?.pid).toBe(holder.child.pid);
    expect(await unlock(lockPath)).toEqual({ removed: true, holder: info });
    expect(existsSync(lockPath)).toBe(false);
    expect(await unlock(lockPath)).toEqual({ removed: false, holder: undefined });
  });

  it('refuses to unlock a live holder without force, and with force removes it', async () => {
    const holder = startHolder(holderScript, indexUrl, lockPath, 'run', { release: false });
    const attempt = await holder.attempt;
    if (!attempt.won) throw new Error(attempt.message);
    const error = await caught(unlock(lockPath));
    expect(error.code).toBe('lock-alive');
    expect(error.message).toContain(`state lock is held by a running process: run (`);
    expect(error.message).toContain(`pid ${holder.child.pid},`);
    expect(existsSync(lockPath)).toBe(true);

    expect(await unlock(lockPath, { force: true })).toEqual({ removed: true, holder: attempt.info });
    // The broken holder, exiting later, must not remove the lock someone else took since.
    const mine = await acquireLock(lockPath, { operation: 'apply' });
    held.push(mine);
    holder.child.stdin?.end();
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    expect(await readLock(lockPath)).toEqual(mine.info);
  });

  it('releases on normal exit, SIGINT (130) and SIGTERM (143)', async () => {
    for (const [how, expected] of [
      ['exit', { code: 0, signal: null }],
      ['SIGINT', { code: 130, signal: null }],
      ['SIGTERM', { code: 143, signal: null }],
    ] as const) {
      const holder = startHolder(holderScript, indexUrl, lockPath, 'apply', { release: false });
      expect((await holder.attempt).won).toBe(true);
      expect(existsSync(lockPath)).toBe(true);
      if (how === 'exit') holder.child.stdin?.end();
      else holder.child.kill(how);
      expect(await holder.exited, how).toEqual(expected);
      expect(existsSync(lockPath), how).toBe(false);
    }
  });

  it('treats an unreadable lock file as held, and only force removes it', async () => {
    held.push(await acquireLock(lockPath, { operation: 'apply' }));
    await writeFile(lockPath, '');
    const locked = await caught(acquireLock(lockPath, { operation: 'run' }));
    expect(locked.code).toBe('state-locked');
    expect(locked.message).toBe(`state is locked; the lock file ${lockPath} cannot be read`);
    expect(locked.hint).toBe('if no outflow process is running, run "outflow state unlock --force"');
    expect((await caught(readLock(lockPath))).code).toBe('lock-corrupt');
    expect((await caught(unlock(lockPath))).code).toBe('lock-corrupt');
    expect(await unlock(lockPath, { force: true })).toEqual({ removed: true, holder: undefined });
    expect(existsSync(lockPath)).toBe(false);
  });
});
