// Node builtins only (src/testing's crash points too): the crash test runs this file in a child
// process that it kills with SIGKILL.
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type CrashPoint, crashPoint } from '../testing/index.js';

export interface AtomicWriteOptions {
  /** Before replacing `target`, keep its current content here (hard link, or a copy where links fail). */
  backupPath?: string;
  /** Hit once the temp file is written and synced, just before it replaces `target` (tests). */
  crashPoint?: CrashPoint;
}

/**
 * Replaces `target` with `data` so that a reader, or a process killed at any moment, sees either
 * the old file or the new one, never a mix: temp file in the same directory, fsync, rename, fsync
 * the directory.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = tempPathFor(target);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.backupPath !== undefined) await keepBackup(target, options.backupPath);
    if (options.crashPoint !== undefined) crashPoint(options.crashPoint);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

// Unique per writer, so two writers that bypass the lock still never share a temp file.
function tempPathFor(target: string): string {
  return join(dirname(target), `${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

async function keepBackup(target: string, backupPath: string): Promise<void> {
  const temp = tempPathFor(backupPath);
  try {
    await link(target, temp);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return; // nothing to back up yet
    if (errorCode(error) === 'EEXIST') throw error;
    // Filesystems without hard links (EPERM, ENOTSUP, EXDEV…): copy instead.
    await copyFile(target, temp);
    await syncFile(temp);
  }
  try {
    await rename(temp, backupPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Flushes a file's content to disk. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes renames in `dir` durable. Some platforms and filesystems cannot fsync a directory; there
 * the rename is as durable as the OS makes it.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
