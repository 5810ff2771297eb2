import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The npm packages the build also ships pre-bundled, one CommonJS file each (scripts/bundle.mjs,
 * `dist/vendor/`): `yaml` is ~70 files and @duckdb/node-api's JavaScript ~180, which node would
 * otherwise resolve, read and compile one by one (~20–30 ms each, for every command that loads
 * them). The native binding (@duckdb/node-bindings) is never bundled.
 */
export type VendoredPackage = 'yaml' | '@duckdb/node-api';

/** `dist/vendor/versions.json`: each bundle's file and the package version it was built from. */
type Manifest = Partial<Record<VendoredPackage, { file: string; version: string }>>;

const require = createRequire(import.meta.url);
let manifest: Manifest | undefined;

/**
 * `require(name)`: the build's bundle of it when that was made from the installed version, else
 * (running from the sources, or after an `npm install` without a rebuild) the package itself.
 */
export function requireVendored<T>(name: VendoredPackage): T {
  manifest ??= readManifest();
  const bundled = manifest[name];
  if (bundled !== undefined) {
    const installed = (require(`${name}/package.json`) as { version: string }).version;
    if (bundled.version === installed) return require(`./vendor/${bundled.file}`) as T;
  }
  return require(name) as T;
}

function readManifest(): Manifest {
  try {
    return JSON.parse(readFileSync(new URL('./vendor/versions.json', import.meta.url), 'utf8')) as Manifest;
  } catch {
    return {};
  }
}
