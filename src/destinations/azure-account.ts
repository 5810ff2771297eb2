import { isIP } from 'node:net';
import type { TokenCredential } from '@azure/core-auth';
import type { ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import { OutflowError } from '../diagnostics/index.js';
import { redact } from './azure-errors.js';
import { resolveCredential, type SecretContext } from './credentials.js';
import type { ConnectionOf } from './open.js';

// How an azure connection reaches its container: a connection string, or an account or container
// URL with a SAS token or the default Azure credential chain. Secrets are collected for masking.

/**
 * outflow's withRetry is the only retry layer: it retries one block (or one list, get, commit)
 * at a time, so the SDK's own retry policy is off (one try) instead of multiplying attempts.
 */
const PIPELINE: StoragePipelineOptions = {
  retryOptions: { maxTries: 1 },
  userAgentOptions: { userAgentPrefix: 'outflow' },
};

/** A connection's container client, where it points (no query string) and what to mask. */
export interface AzureContainer {
  client: ContainerClient;
  /** `https://account.blob.core.windows.net/container`, never with a SAS token. */
  location: string;
  /** Resolved secret values (connection string, account key, SAS query) to mask in messages. */
  secrets: string[];
}

/** Where an azure connection points, parsed from `accountUrl` (no secret in `location`). */
export interface AzureTarget {
  /** `https://account.blob.core.windows.net/container` (path-style account for IPs and localhost). */
  location: string;
  /** The SAS query string, with its `?`, when the URL carries one. */
  sas: string | undefined;
}

/**
 * Reads `accountUrl`: an account URL or a container URL, with or without a SAS token (the Adobe
 * Data Landing Zone hands out a container SAS URL). A `.dfs.` (ADLS Gen2) host is addressed
 * through its `.blob.` endpoint. Errors never repeat the URL: it may hold a SAS token.
 */
export function parseAccountUrl(connection: string, value: string, container: string): AzureTarget {
  const invalid = (why: string) =>
    new OutflowError('destination-failed', `connection "${connection}": accountUrl ${why}`, {
      hint: 'write the account URL (https://ACCOUNT.blob.core.windows.net), or a container SAS URL (https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…&sig=…) as ${env:NAME}',
    });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw invalid('must not hold a user name or password');
  const host = url.host.replace(/\.dfs\.core\./, '.blob.core.');
  const segments = url.pathname.split('/').filter((s) => s !== '');
  // Emulators and IP endpoints address the account in the path: http://127.0.0.1:10000/account.
  const pathStyle = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 || url.hostname === 'localhost';
  const account = pathStyle ? segments.shift() : undefined;
  if (pathStyle && account === undefined)
    throw invalid('on an IP address or localhost must name the account in the path');
  if (segments.length > 1) throw invalid('must be an account or a container URL, not a blob URL');
  const named = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
  if (named !== undefined && named !== container)
    throw invalid(`names container "${named}", but the connection's container is "${container}"`);
  if (url.search !== '' && !url.searchParams.has('sig'))
    throw invalid('has a query string that is not a SAS token (no sig=)');
  return {
    location: `${url.protocol}//${host}${account === undefined ? '' : `/${account}`}/${container}`,
    sas: url.search === '' ? undefined : url.search,
  };
}

/** The container a connection names, with its credentials resolved; the SDK is loaded here. */
export async function openAzureContainer(
  name: string,
  config: ConnectionOf<'azure'>,
  context: SecretContext,
): Promise<AzureContainer> {
  const connectionString = await resolveCredential(
    name,
    'connectionString',
    config.connectionString,
    context,
  );
  const accountUrl = await resolveCredential(name, 'accountUrl', config.accountUrl, context);
  if ((connectionString === undefined) === (accountUrl === undefined))
    throw new OutflowError(
      'destination-auth-failed',
      `connection "${name}": ${connectionString === undefined ? 'neither connectionString nor accountUrl is set' : 'both connectionString and accountUrl are set'}`,
      {
        hint: 'set one: connectionString: ${env:AZURE_STORAGE_CONNECTION_STRING}, or accountUrl (with a SAS token, as ${env:NAME}; without one, the default Azure credential chain is used)',
      },
    );
  const sdk = await import('@azure/storage-blob');
  let client: ContainerClient;
  let location: string;
  const secrets: string[] = [];
  if (connectionString !== undefined) {
    secrets.push(connectionString, ...(/AccountKey=([^;]+)/i.exec(connectionString)?.slice(1) ?? []));
    try {
      client = new sdk.ContainerClient(connectionString, config.container, PIPELINE);
    } catch (error) {
      throw new OutflowError(
        'destination-auth-failed',
        `connection "${name}": connectionString is not a valid Azure Storage connection string (${redact(String((error as Error).message), secrets)})`,
        {
          hint: "copy the storage account's connection string (DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net) or a SAS one (BlobEndpoint=…;SharedAccessSignature=…)",
        },
      );
    }
    const url = new URL(client.url);
    if (url.search !== '') secrets.push(url.search.slice(1));
    url.search = '';
    location = url.toString().replace(/\/+$/, '');
  } else {
    const target = parseAccountUrl(name, accountUrl!, config.container);
    location = target.location;
    if (target.sas !== undefined) {
      secrets.push(accountUrl!, target.sas.slice(1));
      client = new sdk.ContainerClient(location + target.sas, new sdk.AnonymousCredential(), PIPELINE);
    } else client = new sdk.ContainerClient(location, await defaultCredential(name), PIPELINE);
  }
  return { client, location, secrets };
}

/** The default Azure credential chain (environment, managed identity, az login), when installed. */
async function defaultCredential(connection: string): Promise<TokenCredential> {
  const identityModule = '@azure/identity';
  try {
    const identity = (await import(identityModule)) as {
      DefaultAzureCredential: new () => TokenCredential;
    };
    return new identity.DefaultAzureCredential();
  } catch {
    throw new OutflowError(
      'destination-auth-failed',
      `connection "${connection}": accountUrl has no SAS token, and the default Azure credential chain (@azure/identity) is not installed`,
      {
        hint: 'give accountUrl a SAS token (as ${env:NAME}), use connectionString, or npm install @azure/identity',
      },
    );
  }
}
