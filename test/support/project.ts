import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectFiles } from '../../src/cli/init-template.js';
import { writeIncompressibleCsv } from './data.js';

export interface ProjectOptions {
  /** The Project's name (default p). */
  name?: string;
  /**
   * Changes to the template, by project-relative path: a function from the template's content to
   * what is written instead, or null to leave the file out. A path the template lacks is an error.
   */
  edit?: Record<string, ((content: string) => string) | null>;
}

/** Writes the project `outflow init` makes (sample data under data/) into the folder `dir`; returns `dir`. */
export function writeProject(dir: string, options: ProjectOptions = {}): string {
  const files = projectFiles({
    name: options.name ?? 'p',
    dataDir: 'data',
    schemaPath: 'outflow.schema.json',
  });
  for (const path of Object.keys(options.edit ?? {}))
    if (!(path in files)) throw new Error(`the init template has no ${path}`);
  for (const [path, content] of Object.entries(files)) {
    const edit = options.edit?.[path];
    if (edit === null) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), edit === undefined ? content : edit(content));
  }
  return dir;
}

/**
 * The `outflow init` project in a new temp folder named `<prefix>XXXXXX` (by its real path with
 * `realpath`, for tests that compare paths). Left for the OS to clean up.
 */
export function makeProject(prefix: string, options: ProjectOptions & { realpath?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return writeProject(options.realpath ? realpathSync(dir) : dir, options);
}

export interface StoreProjectOptions {
  /** Size of a synthetic csv dataflow `blobs` (incompressible hex payloads), exported as blobs_out. */
  blobsMb?: number;
  blobsChunk?: string;
  /** Keep the init template's exports (buyers_daily, events_out), sent to the store too. */
  templateExports?: boolean;
}

/**
 * The init template in `dir`, exporting to one store: flows/connections.yaml is `connection` (the
 * Connection named `name`), the template's exports go there, and with `blobsMb` a dataflow
 * `blobs` of that size goes there too. `rows` is the row count of blobs (0 without it).
 */
export async function writeStoreProject(
  dir: string,
  name: string,
  connection: string,
  o: StoreProjectOptions,
): Promise<{ dir: string; rows: number }> {
  writeProject(dir, {
    edit: {
      'flows/connections.yaml': () => connection,
      'flows/exports.yaml': (template) =>
        o.templateExports === false
          ? ''
          : template.replaceAll('destination: local_out', `destination: ${name}`),
    },
  });
  if (o.blobsMb === undefined) return { dir, rows: 0 };
  writeFileSync(
    join(dir, 'flows', 'blobs.yaml'),
    `kind: Dataflow
name: blobs
entity: content
source: {type: streamFile, path: data/blobs/*.csv, format: csv}
schema:
  name: blobs
  columns:
    - {name: id, type: bigint, mandatory: true}
    - {name: payload, type: string}
---
kind: Export
name: blobs_out
type: dataOut
from: {dataflow: blobs}
destination: ${name}
format: csv
schedule: {every: 24h}
${o.blobsChunk === undefined ? '' : `chunk: {maxBytes: ${o.blobsChunk}}\n`}`,
  );
  mkdirSync(join(dir, 'data', 'blobs'));
  return { dir, rows: await writeIncompressibleCsv(join(dir, 'data', 'blobs', 'blobs-001.csv'), o.blobsMb) };
}
