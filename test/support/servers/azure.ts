import { join } from 'node:path';
import {
  AccountSASPermissions,
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { freePort, startServer, type TestServer } from './process.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** Azurite's one well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteServer extends TestServer {
  /** `http://127.0.0.1:<port>/devstoreaccount1` (path-style, as for every IP endpoint). */
  accountUrl(port?: number): string;
  /** A connection string for the dev account; `UseDevelopmentStorage=true` works on port 10000 only. */
  connectionString(options?: { port?: number; key?: string }): string;
  /** A client of `container`, straight to the server, with the SDK's defaults. */
  container(name: string): ContainerClient;
  /** A container SAS URL (like the one the Adobe Data Landing Zone hands out). */
  containerSasUrl(name: string, options?: { port?: number; permissions?: string }): Promise<string>;
  /** An account SAS URL (`http://127.0.0.1:<port>/devstoreaccount1?sv=…&sig=…`), blob service only. */
  accountSasUrl(options?: { port?: number }): string;
}

/** azurite 3.37.0's blob service on 127.0.0.1 (TEST-SERVERS.md), with `containers` created. */
export async function startAzurite(containers: string[]): Promise<AzuriteServer> {
  const port = await freePort();
  const server = await startServer({
    name: 'azurite',
    port,
    command: process.execPath,
    args: (dir) => [
      join(root, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      dir,
      '--silent',
      // The SDK is newer than azurite: without this every call is a 400.
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
  });
  const accountUrl = (p = port) => `http://127.0.0.1:${p}/${AZURITE_ACCOUNT}`;
  const connectionString = (o: { port?: number; key?: string } = {}) =>
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${o.key ?? AZURITE_KEY};BlobEndpoint=${accountUrl(o.port)};`;
  const container = (name: string) => new ContainerClient(connectionString(), name);
  for (const name of containers) await container(name).createIfNotExists();
  return {
    ...server,
    accountUrl,
    connectionString,
    container,
    containerSasUrl: async (name, o = {}) => {
      const c = new ContainerClient(
        `${accountUrl(o.port)}/${name}`,
        new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
      );
      return c.generateSasUrl({
        permissions: ContainerSASPermissions.parse(o.permissions ?? 'racwdl'),
        expiresOn: new Date(Date.now() + 3_600_000),
      });
    },
    accountSasUrl: (o = {}) =>
      new BlobServiceClient(
        accountUrl(o.port),
        new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
      ).generateAccountSasUrl(new Date(Date.now() + 3_600_000), AccountSASPermissions.parse('racwdl'), 'sco'),
  };
}
