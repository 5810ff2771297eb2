import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort, startServer, type TestServer } from './process.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** s3rver's one account (TEST-SERVERS.md). */
export const S3RVER_KEY = 'S3RVER';

export interface S3TestServer extends TestServer {
  endpoint: string;
  /** A client of the server, set up as TEST-SERVERS.md says (path style, no checksum trailers). */
  client(endpoint?: string): S3Client;
  /**
   * Multipart uploads the server still holds (neither completed nor aborted), read from its
   * folder: s3rver answers ListMultipartUploads with 501, so this is the only way to see them.
   */
  pendingUploads(bucket: string): string[];
}

/**
 * s3rver 3.7.1 on 127.0.0.1 with `buckets` created, run with the legacy OpenSSL provider (without
 * it, listings longer than one page answer 500).
 */
export async function startS3rver(buckets: string[]): Promise<S3TestServer> {
  const port = await freePort();
  const server = await startServer({
    name: 's3rver',
    port,
    command: process.execPath,
    args: (dir) => [
      '--openssl-legacy-provider',
      join(root, 'node_modules', 's3rver', 'bin', 's3rver.js'),
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--silent',
      ...buckets.flatMap((b) => ['--configure-bucket', b]),
    ],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    ...server,
    endpoint,
    client: (ep = endpoint) =>
      new S3Client({
        endpoint: ep,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    pendingUploads: (bucket) => {
      const uploads = join(server.dir, bucket, '._S3rver_uploads');
      return existsSync(uploads) ? readdirSync(uploads) : [];
    },
  };
}
