import { generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsEmulator, startGcsEmulator } from '../support/servers/gcs.js';
import {
  cli,
  connectionsOf,
  EXAMPLES,
  expectPublished,
  field,
  gcsStore,
  NOW,
  output,
  rowsByExport,
  scratch,
} from './support.js';

// examples/clevertap-events publishes to two GCS buckets with a service account's JSON key, here
// the Firebase Storage emulator on 127.0.0.1 (STORAGE_EMULATOR_HOST, as a user tries it locally).
// The emulator checks no credentials and makes buckets on first upload, so the key written into
// the copy is a well-formed service-account key for a throwaway RSA key pair, nothing more.
const NAME = 'clevertap-events';
const connections = connectionsOf(join(EXAMPLES, NAME));

let emu: GcsEmulator;
let storage: Storage;
const temp = scratch();

beforeAll(async () => {
  // The SDK's HTTP layer (teeny-request) adds listeners to a download's stream as it reads: any
  // download over ~30 KB from the emulator prints MaxListenersExceededWarning (bounded, harmless).
  EventEmitter.defaultMaxListeners = 30;
  emu = await startGcsEmulator();
  storage = new Storage({ projectId: 'demo-test', apiEndpoint: emu.url, retryOptions: { autoRetry: false } });
});

afterAll(async () => {
  await emu?.stop();
  temp.cleanup();
});

/**
 * Writes a service-account key of the right shape where the connection's `${file:…}` points;
 * returns its private key.
 */
function writeServiceAccountKey(dir: string, reference: string): string {
  const path = /^\$\{file:(.+)\}$/.exec(reference)?.[1];
  if (path === undefined) throw new Error(`serviceAccountKey is not a \${file:…} reference: ${reference}`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = {
    type: 'service_account',
    project_id: 'demo-test',
    private_key_id: 'example-test-key',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'clevertap-exports@demo-test.iam.gserviceaccount.com',
    client_id: '100000000000000000000',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), JSON.stringify(key, null, 2));
  return key.private_key;
}

describe('examples/clevertap-events (gcs)', () => {
  it('publishes the XML event export and the one-time JSON backfill to its buckets', async () => {
    const dir = temp.copy(NAME);
    const keys = [connections.export_bucket, connections.archive_bucket].map((c) =>
      writeServiceAccountKey(dir, field(c, 'serviceAccountKey')),
    );
    const env = { STORAGE_EMULATOR_HOST: emu.url };

    const validate = await cli(dir, ['validate'], env);
    expect(validate.code, output(validate)).toBe(0);
    const check = await cli(dir, ['connections', 'test'], env);
    expect(check.code, output(check)).toBe(0);
    expect(check.stdout).toMatch(/All 2 connections passed\./);

    const apply = await cli(dir, ['apply', '--auto-approve', '--now', NOW], env);
    expect(apply.code, output(apply)).toBe(0);

    const exportsBucket = storage.bucket(field(connections.export_bucket, 'bucket'));
    const recurring = await expectPublished(gcsStore(exportsBucket));
    const backfill = await expectPublished(
      gcsStore(storage.bucket(field(connections.archive_bucket, 'bucket'))),
    );
    expect(rowsByExport(recurring)).toEqual({ commerce_events: 193 });
    expect(rowsByExport(backfill)).toEqual({ all_events_backfill: 320 });

    // CleverTap's layout: one file series per event, named
    // <request id>-<run timestamp>-<event>-<yyyymmdd>-<index>-<database id>, XML <Event> blocks.
    const [{ manifest }] = recurring as [(typeof recurring)[0]];
    expect(manifest.files.map((f) => f.event).sort()).toEqual(['Added To Cart', 'Charged', 'Product Viewed']);
    for (const f of manifest.files)
      expect(f.name).toMatch(
        new RegExp(
          `^commerce_events/${manifest.runId}-202611201200-[A-Za-z_]+(-[0-9a-f]{8})?-20261120-00001-db1\\.xml$`,
        ),
      );
    const charged = manifest.files.find((f) => f.event === 'Charged')!;
    const xml = await gcsStore(exportsBucket).read(charged.name);
    expect(xml.toString('utf8')).toMatch(
      /<Event>\s*<ts>\d{14}<\/ts>\s*<eventName>Charged<\/eventName>\s*<profile>\s*<all_identities>/,
    );
    // The key file never leaves the project: not in the output, the state or the manifests.
    const state = readFileSync(join(dir, '.outflow', 'state.json'), 'utf8');
    for (const key of keys)
      for (const text of [output(apply), output(check), state])
        expect(text).not.toContain(key.split('\n')[1]);
  });
});
