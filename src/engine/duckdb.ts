import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';

/**
 * @duckdb/node-api, loaded with require(). It is CommonJS (~180 files): an ESM `import` of it
 * makes node scan every one of those files for named exports (cjs-module-lexer), ~0.1 s of each
 * command that opens DuckDB; require() loads the same module without the scan. Types come from
 * `import type` as usual.
 */
export const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
