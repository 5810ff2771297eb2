import { join } from 'node:path';
import { freePort, startServer, type TestServer } from './process.js';

const wrapper = join(import.meta.dirname, '..', 'gcs-emulator.cjs');

/** The Firebase Storage emulator (GCS JSON API) on 127.0.0.1, with its data in the server's scratch folder. */
export interface GcsEmulator extends TestServer {
  /** For STORAGE_EMULATOR_HOST. */
  url: string;
}

/**
 * Starts the emulator through test/support/gcs-emulator.cjs on a free port. `env` execs node
 * (same PID), so the scratch folder can be its TMPDIR, where the emulator keeps the objects.
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const port = await freePort();
  const server = await startServer({
    name: 'gcs',
    port,
    command: 'env',
    args: (dir) => [`TMPDIR=${dir}`, `PORT=${port}`, process.execPath, wrapper],
  });
  return { ...server, url: `http://127.0.0.1:${port}` };
}
