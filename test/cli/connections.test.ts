import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject as makeInitProject } from '../support/project.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';

// `outflow connections test` against real receivers: a local folder, s3rver, a node:http webhook.
const NOW = '2026-11-20T12:00:00Z';
let s3: S3TestServer;
let hook: Server;
let hookPort: number;
const hookRequests: { method: string; bytes: number }[] = [];

beforeAll(async () => {
  s3 = await startS3rver(['exports']);
  hook = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      hookRequests.push({ method: req.method ?? '', bytes });
      res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  await new Promise((r) => hook?.close(r));
});

/** The init template with two more connections (s3 on `bucket`, the webhook), its exports sent to s3. */
function makeProject(bucket: string): string {
  return makeInitProject('outflow-conn-', {
    edit: {
      'flows/connections.yaml': (template) => `${template}---
kind: Connection
name: s3_out
type: s3
bucket: ${bucket}
prefix: outflow/
region: eu-west-1
endpoint: ${s3.endpoint}
accessKeyId: ${S3RVER_KEY}
secretAccessKey: \${env:S3_SECRET}
---
kind: Connection
name: cms
type: webhook
baseUrl: http://127.0.0.1:${hookPort}/cdp/webhook
clientId: outflow
clientSecret: \${env:CMS_SECRET}
`,
      'flows/exports.yaml': (template) => template.replace('destination: local_out', 'destination: s3_out'),
    },
  });
}

const env = { S3_SECRET: S3RVER_KEY, CMS_SECRET: 'cms-secret-never-shown' };

describe('outflow connections test', () => {
  it('round-trips every connection, leaves no probe behind, and the plan stops warning', async () => {
    const dir = makeProject('exports');
    const plan = await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data'], { env });
    expect(plan.stdout).toMatch(
      /warning\[connection-untested\]: Export\/buyers_daily: connection "s3_out" \(s3\) has never been tested or published to/,
    );
    const applied = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW], { env });
    expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);

    const res = await runCli(['-C', dir, 'connections', 'test'], { env });
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/✓ local_out \(local\): wrote, read back and deleted out\/\.outflow-probe-/);
    expect(res.stdout).toMatch(
      /✓ s3_out \(s3\): wrote, read back and deleted s3:\/\/exports\/outflow\/\.outflow-probe-/,
    );
    expect(res.stdout).toMatch(
      /✓ cms \(webhook\): http:\/\/127\.0\.0\.1:\d+\/cdp\/webhook answered HEAD with 405/,
    );
    expect(res.stdout).toMatch(/All 3 connections passed\./);
    // The webhook got one HEAD and no data; the bucket holds no probe.
    expect(hookRequests).toEqual([{ method: 'HEAD', bytes: 0 }]);
    const listed = await s3
      .client()
      .send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'outflow/.outflow-probe' }));
    expect(listed.KeyCount ?? 0).toBe(0);
    // Kept in state; the plan no longer warns.
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(state.resources['Connection/s3_out'].data.check.tested).toMatchObject({ ok: true });
    expect(state.resources['Connection/s3_out'].data.check.reachedAt).toBeDefined(); // the apply published there
    const after = await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data'], { env });
    expect(after.stdout).not.toMatch(/connection-untested/);
    for (const out of [res.stdout, res.stderr, readFileSync(join(dir, '.outflow', 'state.json'), 'utf8')])
      expect(out).not.toContain('cms-secret-never-shown');
  });

  it('names the failing connection and its cause, exit 1; a named test checks only that one', async () => {
    const dir = makeProject('no-such-bucket');
    const res = await runCli(['-C', dir, 'connections', 'test', 's3_out'], { env });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /✗ s3_out \(s3\): error\[destination-not-found\]: connection "s3_out" .*NoSuchBucket/,
    );
    expect(res.stdout).not.toMatch(/local_out|cms/);
    expect(res.stdout).toMatch(/1 of 1 connection failed\./);
    const typo = await runCli(['-C', dir, 'connections', 'test', 's3_ot'], { env });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/no connection named "s3_ot"[\s\S]*did you mean "s3_out"\?/);
  });
});
