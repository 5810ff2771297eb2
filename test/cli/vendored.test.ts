import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp.js';

// The build ships `yaml` and @duckdb/node-api pre-bundled (scripts/bundle.mjs, dist/vendor/), and
// src/vendored.ts picks a bundle only when it was built from the installed version. Built module.
const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const installed = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
const scratch = tempDirs('outflow-vendored');
afterAll(() => scratch.removeAll());

/** A copy of dist/vendored.js in a folder of its own, with `manifest` as its vendor/versions.json. */
async function loaderWith(manifest: object | undefined): Promise<(name: string) => Record<string, unknown>> {
  const dir = scratch.make('loader');
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // Without its source-map comment: the map stays in dist/.
  const code = readFileSync(join(root, 'dist', 'vendored.js'), 'utf8').replace(
    /^\/\/# sourceMappingURL=.*$/m,
    '',
  );
  writeFileSync(join(dir, 'vendored.js'), code);
  mkdirSync(join(dir, 'vendor'));
  writeFileSync(join(dir, 'vendor', 'marked.cjs'), "module.exports = { marker: 'the bundle' };\n");
  if (manifest !== undefined) writeFileSync(join(dir, 'vendor', 'versions.json'), JSON.stringify(manifest));
  const module = (await import(pathToFileURL(join(dir, 'vendored.js')).href)) as {
    requireVendored: (name: string) => Record<string, unknown>;
  };
  return module.requireVendored;
}

describe('pre-bundled packages (dist/vendor)', () => {
  it('the build made one of each, from the installed versions', () => {
    const manifest = JSON.parse(
      readFileSync(join(root, 'dist', 'vendor', 'versions.json'), 'utf8'),
    ) as Record<string, { file: string; version: string }>;
    expect(manifest.yaml?.version).toBe(installed('yaml'));
    expect(manifest['@duckdb/node-api']?.version).toBe(installed('@duckdb/node-api'));
    // Each bundle is the package: the same exports as the installed one.
    for (const [name, { file }] of Object.entries(manifest)) {
      const bundled = require(join(root, 'dist', 'vendor', file)) as object;
      expect(Object.keys(bundled).sort()).toEqual(Object.keys(require(name) as object).sort());
    }
  });

  it('loads the bundle built from the installed version', async () => {
    const load = await loaderWith({ yaml: { file: 'marked.cjs', version: installed('yaml') } });
    expect(load('yaml').marker).toBe('the bundle');
  });

  it('falls back to the package for a bundle of another version, or without a manifest', async () => {
    const stale = await loaderWith({ yaml: { file: 'marked.cjs', version: '0.0.1' } });
    expect(stale('yaml').marker).toBeUndefined();
    expect(typeof stale('yaml').parseDocument).toBe('function');
    const none = await loaderWith(undefined);
    expect(typeof none('yaml').parseDocument).toBe('function');
  });
});
