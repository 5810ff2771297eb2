import { open } from 'node:fs/promises';
import { vi } from 'vitest';

/**
 * Runs `work` and returns, with its result, the inode of every file handle fsynced meanwhile
 * (node's FileHandle#sync, which is how outflow syncs files and folders).
 */
export async function syncedInodes<T>(work: () => Promise<T>): Promise<{ result: T; inodes: number[] }> {
  const probe = await open(import.meta.dirname, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const sync = proto.sync;
  const inodes: number[] = [];
  const spy = vi.spyOn(proto, 'sync').mockImplementation(async function (
    this: Awaited<ReturnType<typeof open>>,
  ) {
    inodes.push((await this.stat()).ino);
    return sync.call(this);
  });
  try {
    return { result: await work(), inodes };
  } finally {
    spy.mockRestore();
  }
}
