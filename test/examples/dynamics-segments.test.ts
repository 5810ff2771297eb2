import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import {
  azureStore,
  cli,
  connectionsOf,
  EXAMPLES,
  expectPublished,
  field,
  localStore,
  NOW,
  output,
  rowsByExport,
  scratch,
} from './support.js';

// examples/dynamics-segments sends its data-out export to an Azure Data Lake container (azurite
// on 127.0.0.1 here, started once for this file and stopped by PID; its connection string goes in
// the environment variable the connection names). The segment exports go to the two marketing
// systems, local folders in the example.
const NAME = 'dynamics-segments';
const connections = connectionsOf(join(EXAMPLES, NAME));
const LAKE = {
  container: field(connections.data_lake, 'container'),
  prefix: field(connections.data_lake, 'prefix'),
};

let azurite: AzuriteServer;
const temp = scratch();

beforeAll(async () => {
  azurite = await startAzurite([LAKE.container]);
});

afterAll(async () => {
  await azurite?.stop();
  temp.cleanup();
});

describe('examples/dynamics-segments (azure)', () => {
  it('publishes the data-out export to the Azure container and the segments within their limits', async () => {
    const dir = temp.copy(NAME);
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString() };

    const validate = await cli(dir, ['validate'], env);
    expect(validate.code, output(validate)).toBe(0);
    const check = await cli(dir, ['connections', 'test', 'data_lake'], env);
    expect(check.code, output(check)).toBe(0);
    expect(check.stdout).toMatch(
      new RegExp(
        `✓ data_lake \\(azure\\): wrote, read back and deleted .*/${LAKE.container}/${LAKE.prefix}\\.outflow-probe-`,
      ),
    );

    const apply = await cli(dir, ['apply', '--auto-approve', '--now', NOW], env);
    expect(apply.code, output(apply)).toBe(0);

    // Data-out: every contact with all fields, and the schema and mapping in the manifest.
    const lake = await expectPublished(azureStore(azurite.container(LAKE.container), LAKE.prefix));
    expect(rowsByExport(lake)).toEqual({ contacts_data_out: 150 });
    expect(lake[0]!.manifest.schema?.map((c) => c.name)).toEqual([
      'contact_id',
      'account_id',
      'email',
      'first_name',
      'last_name',
      'job_title',
      'country',
      'marketing_opt_in',
      'modified_on',
    ]);
    expect(lake[0]!.manifest.schema?.[0]).toMatchObject({ name: 'contact_id', from: 'contactid' });

    // Segments: within its limit; over a warn limit (runs, warns); over a skip limit (not run).
    const marketing = await expectPublished(
      localStore(join(dir, field(connectionsOf(dir).email_marketing, 'root'))),
    );
    expect(rowsByExport(marketing)).toEqual({ emea_newsletter: 51, opted_in_all: 111 });
    expect(apply.stdout).toMatch(/Export\/opted_in_all: 111 rows exceed limits\.maxRows 50 \(onExceed: warn/);
    expect(apply.stdout).toMatch(
      /Export\/strategic_accounts_ads: skipped: 16 rows exceed limits\.maxRows 10/,
    );
    expect(await localStore(join(dir, field(connectionsOf(dir).ads_platform, 'root'))).list()).toEqual([]);
  });
});
