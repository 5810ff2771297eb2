import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Engine } from '../engine/index.js';
import { isProcessAlive, syncDirectory, syncFile } from '../state/index.js';
import { crashPoint } from '../testing/index.js';

// `<database>.creating-<pid>`, plus the `.wal` and `.tmp` DuckDB may put beside it.
const CREATING = '.creating-';

/**
 * Opens the warehouse file read-write, creating it first when missing so that a process killed at
 * any moment leaves either no warehouse or a valid one (DuckDB's own create is not atomic: killed
 * inside it, it leaves an empty file it then refuses to open). Creation: a temporary database in
 * the same folder, checkpointed and closed (no WAL left), fsynced, renamed into place, the folder
 * fsynced. Leftovers of a killed creation are removed here on the next open.
 *
 * Only one process creates at a time: read-write opens happen under the state lock.
 */
export async function openWarehouseFile(
  database: string,
  open: (database: string) => Promise<Engine>,
): Promise<Engine> {
  await removeCreationLeftovers(database);
  if (!existsSync(database)) await createWarehouseFile(database, open);
  const engine = await open(database);
  crashPoint('warehouse.opened');
  return engine;
}

async function createWarehouseFile(database: string, open: (database: string) => Promise<Engine>) {
  const dir = dirname(database);
  await mkdir(dir, { recursive: true });
  const temp = `${database}${CREATING}${process.pid}`;
  await removeDatabaseFiles(temp);
  const engine = await open(temp);
  try {
    crashPoint('warehouse.temp-created');
    await engine.run('CHECKPOINT');
  } finally {
    await engine.close();
  }
  // Closing checkpointed; a WAL left now would be DuckDB's, empty of anything of ours. DuckDB
  // only makes the spill folder when it spills, which an empty database never does.
  await rm(`${temp}.wal`, { force: true });
  await rm(`${temp}.tmp`, { recursive: true, force: true });
  await syncFile(temp);
  // A WAL without its database can never be replayed; it must not be applied to the new one.
  await rm(`${database}.wal`, { force: true });
  crashPoint('warehouse.before-rename');
  await rename(temp, database);
  await syncDirectory(dir);
}

// Temporary databases of creations that were killed: their process is gone (or is this one).
async function removeCreationLeftovers(database: string): Promise<void> {
  const prefix = `${basename(database)}${CREATING}`;
  let names: string[];
  try {
    names = await readdir(dirname(database));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^\d+/.exec(name.slice(prefix.length))?.[0]);
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    await rm(join(dirname(database), name), { recursive: true, force: true });
  }
}

/** Deletes a DuckDB database file and the `.wal` and `.tmp` DuckDB may keep beside it. */
export async function removeDatabaseFiles(database: string): Promise<void> {
  for (const path of [database, `${database}.wal`, `${database}.tmp`]) {
    await rm(path, { recursive: true, force: true });
  }
}
