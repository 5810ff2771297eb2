// Build step (after tsc): bundles the CLI (dist/cli/main.js and everything it imports) into
// dist/bundle/, so a command loads a few files instead of resolving and compiling ~100 modules
// one by one (docs/performance.md, "Validate and plan"). bin/outflow.js loads
// dist/bundle/outflow.js when it is at least as new as dist/cli/main.js, else the modules.
//
// - Modules imported with `import()` (each command's code, DuckDB, cloud SDKs, watch mode) stay
//   separate chunks (`splitting`), loaded only by the commands that import them.
// - npm packages stay external: node resolves them from node_modules as before (native and
//   optional ones must; the rest are few files).
// - `import.meta.url` in each bundled module is rewritten to the URL of the module it came from
//   (dist/…), so paths relative to a module (schemas/, package.json, the precompiled validators,
//   the expression checker's own files that its cache identity hashes) resolve as before.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';
import { root } from './gen-lib.mjs';

const dist = join(root, 'dist');
const outdir = join(dist, 'bundle');

const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      if (!code.includes('import.meta')) return { contents: code, loader: 'js' };
      const rest = code.replaceAll('import.meta.url', '');
      if (rest.includes('import.meta'))
        throw new Error(
          `${args.path}: import.meta other than import.meta.url is not rewritten for the bundle`,
        );
      const rel = relative(outdir, args.path).split(sep).join('/');
      const rewritten = code.replaceAll(
        'import.meta.url',
        `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
      );
      return { contents: rewritten, loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
rmSync(join(dist, 'vendor'), { recursive: true, force: true });
await build({
  entryPoints: { outflow: join(dist, 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  plugins: [moduleUrls],
  logLevel: 'warning',
});

// Pre-bundled copies of two CommonJS packages with many files (src/vendored.ts loads them):
// dist/vendor/<file>.cjs, and versions.json naming the version each was built from, so an
// `npm install` of another version without a rebuild falls back to the package itself.
// @duckdb/node-bindings (the native binary and its loader) stays external.
const vendor = join(dist, 'vendor');
const require = createRequire(import.meta.url);
const versions = {};
for (const [name, file] of [
  ['yaml', 'yaml.cjs'],
  ['@duckdb/node-api', 'duckdb-node-api.cjs'],
]) {
  await build({
    entryPoints: [require.resolve(name, { paths: [root] })],
    outfile: join(vendor, file),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['@duckdb/node-bindings'],
    logLevel: 'warning',
  });
  const { version } = JSON.parse(
    readFileSync(require.resolve(`${name}/package.json`, { paths: [root] }), 'utf8'),
  );
  versions[name] = { file, version };
}
writeFileSync(join(vendor, 'versions.json'), `${JSON.stringify(versions, null, 2)}\n`);
