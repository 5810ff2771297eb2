import type * as DuckDB from '@duckdb/node-api';
import { requireVendored } from '../vendored.js';

/**
 * @duckdb/node-api, loaded with require(). It is CommonJS (~180 files): an ESM `import` of it
 * makes node scan every one of those files for named exports (cjs-module-lexer), ~0.1 s of each
 * command that opens DuckDB; require() loads the same module without the scan. Types come from
 * `import type` as usual. The build's pre-bundled copy is used when there is one (src/vendored.ts).
 */
export const duckdb = requireVendored<typeof DuckDB>('@duckdb/node-api');
