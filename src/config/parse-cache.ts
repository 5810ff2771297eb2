import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Remembers the values the fast YAML path (js-yaml) read from a config file, by the sha256 of
 * the file's text, so that an unchanged file is read with JSON.parse (~10× faster) on the next
 * cold start; and, when every document of it passed the schema, which validators said so, so
 * that the same validators need not run (or even load) again. Only files the fast path accepted
 * are remembered (anything with a YAML diagnostic goes to the careful parser every time), and
 * only when JSON gives the very same values back (no NaN, infinities or -0); a schema verdict is
 * only ever "no problems", so a file with a schema problem is checked, and reported, every time.
 * Rules and positions are unchanged: they run on the values as before. One file per project
 * folder, in the user's cache folder (see userCacheDir), holding the files of the last load and
 * earlier entries up to twice the project's file count; the
 * parser's identity (outflow and js-yaml versions, the parsing modules' code) is part of it, and
 * a file that does not read as this format is ignored.
 */
export interface ParseCache {
  /** The remembered values of a file with this text, and the validators that passed them, or undefined. */
  get(text: string): { values: unknown[]; validBy?: string } | undefined;
  /** Remembers a file's values (when JSON keeps them exactly). */
  put(text: string, values: readonly unknown[]): void;
  /** Remembers that every document of a remembered file passed the validators `validatorsId`. */
  markValid(text: string, validatorsId: string): void;
  /**
   * Writes the file when something new was remembered; errors are ignored (the cache is
   * optional). It keeps this load's files, then earlier entries up to `keep` in all (watch mode
   * re-reads only the files that changed, and must not drop the others' entries).
   */
  save(keep: number): void;
}

const FORMAT = 2;
const ENTRY = /^[0-9a-f]{64}$/;
// The modules whose code decides what the fast path reads (yaml-document and its limits).
const PARSER_MODULES = /^(yaml-document|source-files)\.(js|ts)$/;

let parserIdentity: string | undefined;

function parserId(): string {
  if (parserIdentity !== undefined) return parserIdentity;
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  const { version } = JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  hash.update(`outflow ${version}\0node ${process.version}\0`);
  hash.update(`js-yaml ${(require('js-yaml/package.json') as { version: string }).version}\0`);
  const modules = readdirSync(here)
    .filter((name) => PARSER_MODULES.test(name))
    .sort();
  if (modules.length < 2) throw new Error(`config parser modules not found in ${here}`);
  for (const name of modules)
    hash
      .update(`${name}\0`)
      .update(readFileSync(join(here, name)))
      .update('\0');
  parserIdentity = hash.digest('hex');
  return parserIdentity;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Whether JSON.parse(JSON.stringify(value)) gives the same value back. */
function jsonExact(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((v) => jsonExact(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.values(value as object).every((v) => jsonExact(v, depth + 1));
  return false;
}

interface Entry {
  values: unknown[];
  validBy?: string;
}

function isEntry(value: unknown): value is Entry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { values?: unknown; validBy?: unknown };
  return (
    Array.isArray(e.values) &&
    e.values.length > 0 &&
    (e.validBy === undefined || (typeof e.validBy === 'string' && ENTRY.test(e.validBy)))
  );
}

const NO_CACHE: ParseCache = { get: () => undefined, put: () => {}, markValid: () => {}, save: () => {} };

/** Opens the parse cache of the project at `root` in `dir`; undefined `dir`: no cache. */
export function openParseCache(dir: string | undefined, root: string): ParseCache {
  if (dir === undefined) return NO_CACHE;
  let parser: string;
  try {
    parser = parserId();
  } catch {
    return NO_CACHE;
  }
  const file = join(dir, 'parsed', `${sha256(resolve(root))}.json`);
  let known: Record<string, unknown> = {};
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      format?: unknown;
      parser?: unknown;
      files?: unknown;
    };
    if (
      doc.format === FORMAT &&
      doc.parser === parser &&
      typeof doc.files === 'object' &&
      doc.files !== null &&
      !Array.isArray(doc.files)
    )
      known = doc.files as Record<string, unknown>;
  } catch {
    // Missing or unreadable: start empty.
  }
  const used = new Map<string, Entry>();
  let added = false;
  return {
    get: (text) => {
      const key = sha256(text);
      const entry = Object.hasOwn(known, key) ? known[key] : undefined;
      if (!isEntry(entry)) return undefined;
      used.set(key, entry);
      return entry;
    },
    put: (text, values) => {
      if (values.length === 0 || !jsonExact(values)) return;
      used.set(sha256(text), { values: [...values] });
      added = true;
    },
    markValid: (text, validatorsId) => {
      const entry = used.get(sha256(text));
      if (entry === undefined || entry.validBy === validatorsId || !ENTRY.test(validatorsId)) return;
      entry.validBy = validatorsId;
      added = true;
    },
    save: (keep) => {
      if (!added) return;
      // Oldest first: the most recent earlier entries while there is room, then this load's.
      const room = Math.max(0, keep - used.size);
      const earlier = Object.keys(known).filter((key) => !used.has(key) && isEntry(known[key]));
      const files: Record<string, unknown> = {};
      for (const key of room === 0 ? [] : earlier.slice(-room)) files[key] = known[key];
      for (const [key, entry] of used) files[key] = entry;
      const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(tmp, JSON.stringify({ format: FORMAT, parser, files }));
        renameSync(tmp, file);
        added = false;
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}
