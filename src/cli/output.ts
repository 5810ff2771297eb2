import { Writable } from 'node:stream';

/** Where a command writes, and whether it may use colour. Chosen once, in main. */
export interface Output {
  color: boolean;
  /** True when stdout is an interactive terminal (progress, prompts). */
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function detectColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function processOutput(env: NodeJS.ProcessEnv = process.env): Output {
  return {
    color: detectColor(process.stdout, env),
    interactive: process.stdout.isTTY === true && env.CI !== 'true',
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  };
}

/** Collects output in memory (tests, watch mode). */
export function memoryOutput(color = false): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    color,
    interactive: false,
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
  };
}

export const devNull = new Writable({ write: (_c, _e, cb) => cb() });
