import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionsOf, EXAMPLES, exampleNames } from './support.js';

// Every example project has its own test file here, which starts the local servers its stores
// need and applies it against them (see support.ts). This file checks what they share.
const examples = exampleNames();

describe('examples', () => {
  it('has the example projects, each with its own test', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['adobe-dataset', 'clevertap-events', 'dynamics-segments', 'ibexa-users']),
    );
    for (const name of examples)
      expect(existsSync(join(import.meta.dirname, `${name}.test.ts`)), name).toBe(true);
  });

  it.each(examples)('%s: its README names every variable and file its connections need', (name) => {
    const dir = join(EXAMPLES, name);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const flows = readdirSync(join(dir, 'flows'))
      .map((f) => readFileSync(join(dir, 'flows', f), 'utf8'))
      .join('\n');
    for (const [, , ref] of flows.matchAll(/\$\{(env|file):([^}]+)\}/g)) expect(readme, ref).toContain(ref!);
    const stores = Object.values(connectionsOf(dir)).filter(
      (c) => c.type !== 'local' && c.type !== 'webhook',
    );
    expect(stores.length, `${name} publishes to or reads from no store`).toBeGreaterThan(0);
    expect(readme).toContain('connections test');
  });
});
