import { readFileSync } from 'node:fs';

/** outflow's version, from package.json (kept apart from main.ts so commands can import it). */
export const OUTFLOW_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
