import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sampleEventsNdjson } from '../../src/cli/init-template.js';
import { type Destination, openDestination } from '../../src/destinations/index.js';
import type { ResourceNode } from '../../src/model/index.js';
import { runCli } from '../support/cli.js';
import { makeProject } from '../support/project.js';
import { localPublishedFiles } from '../support/published.js';
import { type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { type GcsEmulator, startGcsEmulator } from '../support/servers/gcs.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';
import { type SftpTestServer, startSftpServer } from '../support/servers/sftp.js';

// Stream files uploaded to each real store and ingested from it (`source: {connection, prefix,
// path}`): ingested once, and a re-upload of the same file is not ingested twice. The servers
// run on 127.0.0.1, started here and stopped by PID.
const T1 = '2026-11-20T12:00:00Z';
const T2 = '2026-11-20T18:00:00Z';
let s3: S3TestServer;
let azure: AzuriteServer;
let gcs: GcsEmulator;
let sftp: SftpTestServer;

beforeAll(async () => {
  [s3, azure, gcs, sftp] = await Promise.all([
    startS3rver(['drops']),
    startAzurite(['drops']),
    startGcsEmulator(),
    startSftpServer(),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), azure?.stop(), gcs?.stop(), sftp?.stop()]);
});

/** The `drop` connection for each store (as the model holds it: defaults filled), and the environment its references need. */
const stores: Record<
  string,
  () => { config: Record<string, unknown>; env: Record<string, string>; setup?: (dir: string) => void }
> = {
  s3: () => ({
    config: {
      type: 's3',
      bucket: 'drops',
      prefix: 'cdp/',
      region: 'eu-west-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: S3RVER_KEY,
      secretAccessKey: '${env:DROP_SECRET}',
    },
    env: { DROP_SECRET: S3RVER_KEY },
  }),
  azure: () => ({
    config: { type: 'azure', container: 'drops', prefix: 'cdp/', connectionString: '${env:DROP_SECRET}' },
    env: { DROP_SECRET: azure.connectionString() },
  }),
  gcs: () => ({
    config: { type: 'gcs', bucket: 'drops', prefix: 'cdp/', projectId: 'demo-test' },
    env: { STORAGE_EMULATOR_HOST: gcs.url },
  }),
  sftp: () => ({
    config: {
      type: 'sftp',
      host: '127.0.0.1',
      port: sftp.port,
      username: sftp.username,
      root: sftp.dataDir,
      privateKey: '${file:keys/client}',
      knownHosts: sftp.knownHostsLine,
      allowUnknownHost: false,
    },
    env: {},
    setup: (dir) => {
      mkdirSync(join(dir, 'keys'));
      copyFileSync(sftp.clientKeyFile, join(dir, 'keys', 'client'));
    },
  }),
};

/** Uploads a local file into the `drop` store through outflow's own destination module. */
async function upload(
  dir: string,
  config: Record<string, unknown>,
  env: Record<string, string>,
  file: string,
  key: string,
): Promise<void> {
  const connection = {
    kind: 'Connection',
    name: 'drop',
    address: 'Connection/drop',
    config: { kind: 'Connection', name: 'drop', ...config },
  } as unknown as ResourceNode<'Connection'>;
  const destination: Destination = await openDestination(connection, {
    root: dir,
    env: { ...process.env, ...env },
  });
  try {
    await destination.put(key, file);
  } finally {
    await destination.close();
  }
}

/** Data rows published by the events export so far. */
const publishedRows = (dir: string) =>
  localPublishedFiles(dir, 'events_out').reduce((n, f) => n + f.lines.length, 0);

describe.each(Object.keys(stores))('stream files from %s', (store) => {
  it('are ingested once; the same file uploaded again is not ingested twice', {
    timeout: 120_000,
  }, async () => {
    const { config, env, setup } = stores[store]!();
    const dir = makeProject(`outflow-streams-${store}-`, {
      edit: {
        'flows/dataflows.yaml': (c) =>
          c.replace(
            '  path: data/events/*.ndjson',
            '  connection: drop\n  prefix: incoming/events/\n  path: "*.ndjson"',
          ),
      },
    });
    writeFileSync(
      join(dir, 'flows', 'drop.yaml'),
      stringify({ kind: 'Connection', name: 'drop', ...config }),
    );
    setup?.(dir);
    const events = join(dir, 'data', 'events', 'events-001.ndjson');
    await upload(dir, config, env, events, 'incoming/events/events-001.ndjson');

    const first = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', T1], { env });
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toMatch(/ingest Dataflow\/events: 400 rows from 1 file/);
    expect(publishedRows(dir)).toBe(400);

    // The same bytes uploaded again (a new ETag / generation / mtime): looked at, not ingested again.
    await upload(dir, config, env, events, 'incoming/events/events-001.ndjson');
    // And a new file beside it, ingested once.
    const late = join(dir, 'late.ndjson');
    writeFileSync(late, sampleEventsNdjson(7, Date.UTC(2026, 10, 20, 16)));
    await upload(dir, config, env, late, 'incoming/events/events-002.ndjson');
    const second = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', T2], { env });
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    const ingested = state.resources['Dataflow/events'].data.ingestedFiles as {
      path: string;
      rows: number;
    }[];
    const byPath = (p: string) => ingested.filter((f) => f.path === `drop:incoming/events/${p}`);
    expect(byPath('events-001.ndjson').reduce((n, f) => n + f.rows, 0)).toBe(400);
    // Whether the re-upload counts as a new version depends on the store (Azure ETag and GCS
    // generation change; s3rver keeps the ETag of the same bytes; sftp's mtime has whole seconds):
    // either way its rows were ingested exactly once.
    expect(byPath('events-001.ndjson').filter((f) => f.rows > 0)).toHaveLength(1);
    if (store === 'azure' || store === 'gcs')
      expect(byPath('events-001.ndjson').map((f) => f.rows)).toEqual([400, 0]);
    expect(byPath('events-002.ndjson').map((f) => f.rows)).toEqual([7]);
    expect(publishedRows(dir)).toBe(407); // the 400 once, and the 7 new ones
  });
});
