import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutflowError } from '../diagnostics/errors.js';
import type { LockInfo } from './lock-info.js';
import { describeLock, isProcessAlive, lockOwner, parseLockInfo } from './lock-info.js';

const POLL_MS = 200;
// A holder creates the file and then writes it; a reader may see it empty for a moment.
const UNREADABLE_RETRIES = 10;
const UNREADABLE_RETRY_MS = 25;

export interface AcquireLockOptions {
  /** What the holder is doing, shown to whoever finds the lock held: `apply`, `run`, … */
  operation: string;
  /** Keep retrying for this many milliseconds before giving up (default 0: fail at once). */
  wait?: number;
}

/** A held lock. Released on `release()`, on normal process exit, and on SIGINT/SIGTERM. */
export interface StateLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it still holds this lock; safe to call twice. */
  release(): Promise<void>;
}

export interface UnlockResult {
  /** False when there was no lock file. */
  removed: boolean;
  /** Whose lock it was; undefined when there was none or the file was unreadable. */
  holder: LockInfo | undefined;
}

/** Takes the lock at `lockPath` (O_EXCL create), or throws `state-locked` naming the holder. */
export async function acquireLock(lockPath: string, options: AcquireLockOptions): Promise<StateLock> {
  const info: LockInfo = {
    id: randomUUID(),
    operation: options.operation,
    owner: lockOwner(),
    pid: process.pid,
    host: hostname(),
    createdAt: new Date().toISOString(),
  };
  const wait = options.wait ?? 0;
  const deadline = Date.now() + wait;
  await mkdir(dirname(lockPath), { recursive: true });
  for (;;) {
    if (await tryCreate(lockPath, info)) return holdLock(lockPath, info);
    const holder = await readHolder(lockPath);
    if (holder.kind === 'gone') continue; // released between our attempt and the read
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lockedError(lockPath, holder, wait);
    await sleep(Math.min(POLL_MS, remaining));
  }
}

/** The current holder, or undefined when unlocked; throws `lock-corrupt` for an unreadable lock file. */
export async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  const holder = await readHolder(lockPath);
  if (holder.kind === 'gone') return undefined;
  if (holder.kind === 'unreadable') throw corruptError(lockPath, holder.problem);
  return holder.info;
}

/**
 * Breaks the lock. Without `force` it refuses (`lock-alive`) while the holder's process is still
 * running on this host, and (`lock-corrupt`) when the lock file cannot be read.
 */
export async function unlock(lockPath: string, options: { force?: boolean } = {}): Promise<UnlockResult> {
  const holder = await readHolder(lockPath);
  if (holder.kind === 'gone') return { removed: false, holder: undefined };
  if (holder.kind === 'unreadable') {
    if (options.force !== true) throw corruptError(lockPath, holder.problem);
    await unlink(lockPath).catch(ignoreMissing);
    return { removed: true, holder: undefined };
  }
  const { info } = holder;
  if (options.force !== true && info.host === hostname() && isProcessAlive(info.pid)) {
    throw new OutflowError('lock-alive', `state lock is held by a running process: ${describeLock(info)}`, {
      hint: `wait for it to finish or stop it; "outflow state unlock --force" removes the lock anyway`,
      meta: { path: lockPath, holder: info },
    });
  }
  await removeIfHeldBy(lockPath, info.id);
  return { removed: true, holder: info };
}

async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${JSON.stringify(info)}\n`);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(lockPath).catch(ignoreMissing);
    throw error;
  }
  return true;
}

type Holder = { kind: 'gone' } | { kind: 'held'; info: LockInfo } | { kind: 'unreadable'; problem: string };

async function readHolder(lockPath: string): Promise<Holder> {
  let problem = '';
  for (let attempt = 0; attempt <= UNREADABLE_RETRIES; attempt++) {
    if (attempt > 0) await sleep(UNREADABLE_RETRY_MS);
    let text: string;
    try {
      text = await readFile(lockPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
      throw error;
    }
    const parsed = parseLockInfo(text);
    if (parsed.ok) return { kind: 'held', info: parsed.info };
    problem = parsed.problem;
  }
  return { kind: 'unreadable', problem };
}

async function removeIfHeldBy(lockPath: string, id: string): Promise<void> {
  const holder = await readHolder(lockPath);
  if (holder.kind === 'held' && holder.info.id === id) await unlink(lockPath).catch(ignoreMissing);
}

function holdLock(lockPath: string, info: LockInfo): StateLock {
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    unregister();
    try {
      const parsed = parseLockInfo(readFileSync(lockPath, 'utf8'));
      if (parsed.ok && parsed.info.id === info.id) unlinkSync(lockPath);
    } catch {
      // Exiting anyway; a lock left behind is reported as stale and can be unlocked.
    }
  };
  const onSigint = (): void => {
    releaseSync();
    process.exit(130);
  };
  const onSigterm = (): void => {
    releaseSync();
    process.exit(143);
  };
  const unregister = (): void => {
    process.off('exit', releaseSync);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  };
  process.on('exit', releaseSync);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    path: lockPath,
    info,
    async release() {
      if (released) return;
      released = true;
      unregister();
      await removeIfHeldBy(lockPath, info.id);
    },
  };
}

function lockedError(lockPath: string, holder: Holder, waited: number): OutflowError {
  const span = waited < 1000 ? `${waited} ms` : `${Math.round(waited / 1000)} s`;
  const gaveUp = waited > 0 ? ` (gave up after waiting ${span})` : '';
  if (holder.kind === 'held') {
    return new OutflowError('state-locked', `state is locked by ${describeLock(holder.info)}${gaveUp}`, {
      hint: 'if that process is gone, run "outflow state unlock"',
      meta: { path: lockPath, holder: holder.info },
    });
  }
  return new OutflowError(
    'state-locked',
    `state is locked; the lock file ${lockPath} cannot be read${gaveUp}`,
    {
      hint: 'if no outflow process is running, run "outflow state unlock --force"',
      meta: { path: lockPath, problem: holder.kind === 'unreadable' ? holder.problem : undefined },
    },
  );
}

function corruptError(lockPath: string, problem: string): OutflowError {
  return new OutflowError('lock-corrupt', `lock file ${lockPath} cannot be read: ${problem}`, {
    hint: 'if no outflow process is running, run "outflow state unlock --force"',
    meta: { path: lockPath, problem },
  });
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
