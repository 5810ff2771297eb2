import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp folders for one test file, each named `<prefix>-<name>-XXXXXX`; `removeAll()` (from
 * afterAll) removes every one made.
 */
export function tempDirs(prefix: string): { make: (name: string) => string; removeAll: () => void } {
  const made: string[] = [];
  return {
    make: (name) => {
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
      made.push(dir);
      return dir;
    },
    removeAll: () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
  };
}
