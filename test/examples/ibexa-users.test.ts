import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';
import { WebhookReceiver } from '../support/servers/webhook.js';
import { documentedVerify } from '../support/webhook-snippet.js';
import {
  addToConnection,
  cli,
  connectionsOf,
  EXAMPLES,
  expectPublished,
  field,
  localStore,
  NOW,
  output,
  rowsByExport,
  s3Upload,
  scratch,
} from './support.js';

// examples/ibexa-users reads its stream files from the S3 bucket the Ibexa installation delivers
// them to (`source: {connection: ibexa_streams, prefix, path}`), here a real s3rver on 127.0.0.1.
// The copy gets the one line a user adds to try it locally (`endpoint:`); the sample files under
// data/ are uploaded first, as the README's `aws s3 sync data/ s3://…/streams/` does.
const NAME = 'ibexa-users';
const streams = connectionsOf(join(EXAMPLES, NAME)).ibexa_streams;
const BUCKET = field(streams, 'bucket');
const PREFIX = field(streams, 'prefix');
// s3rver checks no signatures; these are its one account's keys. The CMS is a node:http receiver
// on 127.0.0.1 that verifies each request with the snippet of docs/activations.md.
const CMS_SECRET = 'ibexa-cdp-client-secret-for-tests';
const env = {
  AWS_ACCESS_KEY_ID: S3RVER_KEY,
  AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
  IBEXA_CDP_CLIENT_SECRET: CMS_SECRET,
};

let s3: S3TestServer;
let client: S3Client;
let cms: WebhookReceiver;
const temp = scratch();

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  s3 = await startS3rver([BUCKET]);
  client = s3.client();
  cms = await new WebhookReceiver(await documentedVerify(), CMS_SECRET, 'ibexa-cdp').start();
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  await cms?.stop();
  temp.cleanup();
});

interface IngestedFile {
  path: string;
  rows: number;
}
const ingested = (dir: string): Record<string, IngestedFile[]> => {
  const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
  return Object.fromEntries(
    ['users', 'products', 'events'].map((d) => [d, state.resources[`Dataflow/${d}`].data.ingestedFiles]),
  );
};

/** The `userid` column of a published CSV segment file, as strings. */
function segmentIds(csv: string): string[] {
  const [head, ...rows] = csv.trim().split('\n');
  const col = head!.split(',').indexOf('userid');
  return rows.map((r) => r.split(',')[col]!).sort();
}

describe('examples/ibexa-users (stream files from s3)', () => {
  it('ingests its stream files from the bucket once, and publishes the segment and catalog', async () => {
    const dir = temp.copy(NAME);
    addToConnection(dir, 'ibexa_streams', `endpoint: ${s3.endpoint}`);
    // The CMS's address is the one line that differs from a real installation.
    const activations = join(dir, 'flows', 'activations.yaml');
    writeFileSync(
      activations,
      readFileSync(activations, 'utf8').replace('https://cms.example.com/cdp/webhook', cms.url),
    );
    const uploaded = await s3Upload(client, BUCKET, PREFIX, join(dir, 'data'));
    expect(uploaded).toContain(`${PREFIX}users/users-2026-11-15.csv`);

    const validate = await cli(dir, ['validate'], env);
    expect(validate.code, output(validate)).toBe(0);
    const check = await cli(dir, ['connections', 'test'], env);
    expect(check.code, output(check)).toBe(0);
    expect(check.stdout).toMatch(
      new RegExp(
        `✓ ibexa_streams \\(s3\\): wrote, read back and deleted s3://${BUCKET}/${PREFIX}\\.outflow-probe-`,
      ),
    );

    const apply = await cli(dir, ['apply', '--auto-approve', '--now', NOW], env);
    expect(apply.code, output(apply)).toBe(0);
    expect(apply.stdout).toMatch(/ingest Dataflow\/users: 74 rows from 2 files, 1 rejected/);
    const files = ingested(dir);
    expect(files.users!.map((f) => f.path)).toEqual([
      'ibexa_streams:users/users-2026-11-01.csv',
      'ibexa_streams:users/users-2026-11-15.csv',
    ]);
    expect(files.products!.map((f) => f.path)).toEqual(['ibexa_streams:products/products.csv']);
    expect(files.events!.map((f) => f.path)).toEqual(['ibexa_streams:events/events-2026-11.csv']);
    // The user without an email (row 18 of the first file) is in the reject report.
    expect(readFileSync(join(dir, '.outflow', 'rejects', 'users', 'users-rejects-1.csv'), 'utf8')).toMatch(
      /users-2026-11-01\.csv,18,email,/,
    );

    const published = await expectPublished(
      localStore(join(dir, field(connectionsOf(dir).ibexa_out, 'root'))),
    );
    expect(rowsByExport(published)).toEqual({ watch_fans_segment: 4, catalog_snapshot: 40 });
    // The same four watch fans are the CMS's segment, sent once in one signed batch.
    const segment = cms.members('cdp_audiences', 'watch_fans');
    expect(segment.map((m) => m.id).sort()).toEqual(
      segmentIds(
        readFileSync(
          join(
            dir,
            'out',
            published.find((p) => p.manifest.export === 'watch_fans_segment')!.manifest.files[0]!.name,
          ),
          'utf8',
        ),
      ),
    );
    expect(segment[0]!.attributes).toEqual({ source: 'outflow', newsletter: 'yes' });
    expect(cms.accepted).toHaveLength(1);

    // The installation delivers the same file again, unchanged: nothing new is ingested.
    const again = `${PREFIX}users/users-2026-11-15.csv`;
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: again,
        Body: readFileSync(join(EXAMPLES, NAME, 'data', 'users', 'users-2026-11-15.csv')),
      }),
    );
    const reapply = await cli(dir, ['apply', '--auto-approve', '--now', NOW], env);
    expect(reapply.code, output(reapply)).toBe(0);
    // s3rver gives the same ETag to the same bytes, so the file is not even new; a store that
    // gave it a new version would have it recognised by content and recorded, not ingested.
    expect(reapply.stdout).toMatch(/no data actions are due|re-delivered unchanged, not ingested again/);
    expect(reapply.stdout).not.toMatch(/ingest Dataflow\/\w+: [1-9]\d* rows/);
    const after = ingested(dir);
    const rows = (f: Record<string, IngestedFile[]>) =>
      Object.values(f)
        .flat()
        .reduce((n, i) => n + i.rows, 0);
    expect(rows(after)).toBe(rows(files));
    expect(rowsByExport(await expectPublished(localStore(join(dir, 'out'))))).toEqual({
      watch_fans_segment: 4,
      catalog_snapshot: 40,
    });

    // A connection test of the applied connection is kept in state: the plan does not warn.
    const recheck = await cli(dir, ['connections', 'test', 'ibexa_streams'], env);
    expect(recheck.code, output(recheck)).toBe(0);
    const plan = await cli(dir, ['plan', '--now', NOW], env);
    expect(plan.code, output(plan)).toBe(0);
    expect(plan.stdout).not.toMatch(/connection-untested/);
    // Nothing changed in the audience: no second batch reached the CMS (`connections test` only
    // checked that it answers, with a HEAD).
    expect(cms.accepted).toHaveLength(1);
    expect(cms.requests.filter((r) => r.id !== '')).toHaveLength(1);
  });
});
