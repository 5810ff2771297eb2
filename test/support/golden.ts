import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

export const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Compares with a golden file, or rewrites it under `npm run fixtures:update`. */
export function expectGolden(path: string, actual: string): void {
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE)
      throw new Error(`missing golden file ${path}; run "npm run fixtures:update" and review the diff`);
    writeFileSync(path, actual);
    return;
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
