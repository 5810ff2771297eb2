// A child process that takes the state lock with the real src/state code, so tests can see
// what another process holding the lock (or dying with it) looks like.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LockInfo } from '../../../src/state/index.js';

const SCRIPT = `
const [indexUrl, lockPath, operation, startAt] = process.argv.slice(2);
const { acquireLock } = await import(indexUrl);
const delay = Number(startAt) - Date.now();
if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
let lock;
try {
  lock = await acquireLock(lockPath, { operation });
} catch (error) {
  process.stdout.write(JSON.stringify({ won: false, code: error.code, message: error.message }) + '\\n');
  process.exit(0);
}
process.stdout.write(JSON.stringify({ won: true, info: lock.info }) + '\\n');
// Holds the lock until stdin closes; then releases it if told to, or just exits.
process.stdin.resume();
process.stdin.on('end', async () => {
  if (process.env.RELEASE === '1') await lock.release();
  process.stdin.pause();
});
`;

export type Attempt = { won: true; info: LockInfo } | { won: false; code: string; message: string };

export interface LockHolder {
  child: ChildProcess;
  /** What the child's acquireLock did. */
  attempt: Promise<Attempt>;
  /** Resolves with the exit code and signal once the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function writeHolderScript(dir: string): Promise<string> {
  const path = join(dir, 'lock-holder.mjs');
  await writeFile(path, SCRIPT);
  return path;
}

export function startHolder(
  script: string,
  indexUrl: string,
  lockPath: string,
  operation: string,
  options: { startAt?: number; release?: boolean } = {},
): LockHolder {
  const child = spawn(
    process.execPath,
    [script, indexUrl, lockPath, operation, String(options.startAt ?? 0)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, RELEASE: options.release === false ? '0' : '1' },
    },
  );
  const attempt = new Promise<Attempt>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline !== -1) resolve(JSON.parse(out.slice(0, newline)) as Attempt);
    });
    child.on('close', () => reject(new Error(`lock holder exited before reporting: ${out}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, attempt, exited };
}
