import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';
import {
  addToConnection,
  azureStore,
  cli,
  connectionsOf,
  EXAMPLES,
  expectPublished,
  field,
  NOW,
  output,
  type Published,
  rowsByExport,
  s3Store,
  scratch,
} from './support.js';

// examples/adobe-dataset backs its datasets up to an S3 bucket (s3rver here) and an Azure Blob
// container (azurite here), both on 127.0.0.1, started once for this file and stopped by PID.
// The copy gets `endpoint:` on the s3 connection; azurite's connection string goes in the
// environment variable the azure connection names. Nothing else changes.
const NAME = 'adobe-dataset';
const connections = connectionsOf(join(EXAMPLES, NAME));
const S3 = { bucket: field(connections.s3_backup, 'bucket'), prefix: field(connections.s3_backup, 'prefix') };
const BLOB = {
  container: field(connections.blob_backup, 'container'),
  prefix: field(connections.blob_backup, 'prefix'),
};

let s3: S3TestServer;
let client: S3Client;
let azurite: AzuriteServer;
const temp = scratch();

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  [s3, azurite] = await Promise.all([startS3rver([S3.bucket]), startAzurite([BLOB.container])]);
  client = s3.client();
});

afterAll(async () => {
  client?.destroy();
  await Promise.all([s3?.stop(), azurite?.stop()]);
  temp.cleanup();
});

/** Each export time folder's runs: `{folder: {export: rows}}`, from the manifests. */
function byExportTime(published: Published[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const p of published) {
    const folder = /exportTime=(\d{12})\//.exec(p.key)?.[1] ?? '?';
    out[folder] = { ...out[folder], ...rowsByExport([p]) };
  }
  return out;
}

describe('examples/adobe-dataset (s3 and azure)', () => {
  it('backs the datasets up to S3 and Azure Blob in exportTime= folders, then only the late events', async () => {
    const dir = temp.copy(NAME);
    addToConnection(dir, 's3_backup', `endpoint: ${s3.endpoint}`);
    const env = {
      AWS_ACCESS_KEY_ID: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString(),
    };

    const validate = await cli(dir, ['validate'], env);
    expect(validate.code, output(validate)).toBe(0);
    const check = await cli(dir, ['connections', 'test'], env);
    expect(check.code, output(check)).toBe(0);
    expect(check.stdout).toMatch(
      new RegExp(
        `✓ s3_backup \\(s3\\): wrote, read back and deleted s3://${S3.bucket}/${S3.prefix}\\.outflow-probe-`,
      ),
    );
    expect(check.stdout).toMatch(/✓ blob_backup \(azure\): wrote, read back and deleted /);

    const apply = await cli(dir, ['apply', '--auto-approve', '--now', NOW], env);
    expect(apply.code, output(apply)).toBe(0);
    const s3Root = s3Store(client, S3.bucket, S3.prefix);
    const blobRoot = azureStore(azurite.container(BLOB.container), BLOB.prefix);
    const events = await expectPublished(s3Root);
    const profiles = await expectPublished(blobRoot);
    // folder-name-you-provided/datasetID/exportTime=YYYYMMDDHHMM/, the manifest beside the files.
    for (const { key, manifest } of [...events, ...profiles]) {
      expect(key).toMatch(/^(web_experience_events|profile_snapshot)\/exportTime=202611201200\/_manifest-/);
      for (const f of manifest.files)
        expect(f.name.startsWith(key.slice(0, key.lastIndexOf('/') + 1))).toBe(true);
    }
    expect(byExportTime(events)).toEqual({ '202611201200': { web_events_backup: 200 } });
    expect(byExportTime(profiles)).toEqual({ '202611201200': { profiles_backup: 81 } });
    expect(events[0]!.manifest).toMatchObject({
      format: 'parquet',
      compression: 'zstd',
      mode: 'incremental',
    });
    expect(profiles[0]!.manifest).toMatchObject({ format: 'ndjson', compression: 'gzip', mode: 'full' });

    // Late events arrive; the next day's run exports only them (incremental), the profiles in full.
    copyFileSync(
      join(dir, 'late', '2026-11-20.ndjson'),
      join(dir, 'data', 'experience_events', '2026-11-20.ndjson'),
    );
    const next = await cli(dir, ['apply', '--auto-approve', '--now', '2026-11-21T12:00:00Z'], env);
    expect(next.code, output(next)).toBe(0);
    expect(byExportTime(await expectPublished(s3Root))).toEqual({
      '202611201200': { web_events_backup: 200 },
      '202611211200': { web_events_backup: 40 },
    });
    expect(byExportTime(await expectPublished(blobRoot))).toEqual({
      '202611201200': { profiles_backup: 81 },
      '202611211200': { profiles_backup: 81 },
    });
    const secret = azurite.connectionString().match(/AccountKey=([^;]+)/)![1]!;
    for (const r of [check, apply, next]) expect(output(r)).not.toContain(secret);
  });
});
