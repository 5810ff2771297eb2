import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';

/** Every file under `dir` with size and mtime, to prove a command wrote nothing. */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/^expected\./.test(e.name)) {
        const s = statSync(p);
        out.push(`${p} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Every file under `dir` (temp files included), relative to it, sorted; none if `dir` does not exist. */
export function relativeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Files under `dir` smaller than `maxBytes`, to search for a leaked secret. */
function filesUnder(dir: string, maxBytes: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < maxBytes) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** No file under `dir` (of those smaller than `maxBytes`, 512 MB by default) holds `secret`. */
export function expectSecretInNoFile(dir: string, secret: string, maxBytes = 512 * 1024 * 1024): void {
  for (const file of filesUnder(dir, maxBytes)) expect(readFileSync(file).includes(secret), file).toBe(false);
}
