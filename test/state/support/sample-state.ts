import type { StateDocument } from '../../../src/state/index.js';
import { address, emptyState } from '../../../src/state/index.js';

const hash = (c: string): string => c.repeat(64);

/** A document that sets every field the schema knows, optional ones included. */
export function maximalState(): StateDocument {
  const doc = emptyState(new Date('2024-05-01T03:00:00.000Z'), '0.1.0');
  doc.serial = 3;
  doc.resources[address('Dataflow', 'events')] = {
    kind: 'Dataflow',
    name: 'events',
    configHash: hash('a'),
    config: { kind: 'Dataflow', name: 'events', entity: 'event' },
    appliedAt: '2024-05-01T03:00:00.000Z',
    data: {
      ingestedFiles: [
        {
          path: 'data/events/2024-05-01.ndjson',
          size: 1234,
          sha256: hash('b'),
          ingestedAt: '2024-05-01T03:00:01.000Z',
          rows: 10,
          rejected: 1,
          seqFrom: 1,
          seqTo: 10,
        },
        {
          path: 's3_in:events/2024-05-02.ndjson',
          size: 99,
          version: '"9b2cf535f27731c974343645a3985328"',
          sha256: hash('c'),
          ingestedAt: '2024-05-02T03:00:01.000Z',
          rows: 1,
          rejected: 0,
          seqFrom: 11,
          seqTo: 11,
        },
      ],
      ingestSeq: 11,
      segments: {
        generation: 1,
        objects: [
          {
            key: 'warehouse/events/g1/1-11.parquet',
            rows: 10,
            bytes: 2048,
            sha256: hash('d'),
            seqFrom: 1,
            seqTo: 11,
          },
        ],
      },
    },
  };
  doc.resources[address('Export', 'buyers_daily')] = {
    kind: 'Export',
    name: 'buyers_daily',
    configHash: hash('c'),
    config: { kind: 'Export', name: 'buyers_daily', destination: 's3_exports' },
    appliedAt: '2024-05-01T03:00:00.000Z',
    data: {
      watermark: { seq: 10, at: '2024-05-01T04:00:00.000Z' },
      scheduleAnchor: { every: '4h', at: '2024-05-01T00:00:00.000Z' },
      pendingRun: {
        runId: '20240501T080000Z-0a1b2c3d',
        window: { from: '2024-05-01T04:00:00.000Z', to: '2024-05-01T08:00:00.000Z' },
        untilSeq: 12,
        startedAt: '2024-05-01T08:00:01.000Z',
      },
      runs: [
        {
          runId: '20240501T0400-1a2b',
          status: 'succeeded',
          startedAt: '2024-05-01T04:00:00.000Z',
          finishedAt: '2024-05-01T04:00:02.000Z',
          window: { from: '2024-05-01T00:00:00.000Z', to: '2024-05-01T04:00:00.000Z' },
          rows: 9,
          files: [{ name: 'buyers_daily/part-0.parquet', rows: 9, bytes: 512, sha256: hash('d') }],
          bytes: 512,
          manifest: 'buyers_daily/_manifest-20240501T0400-1a2b.json',
          reason: 'schedule due',
          configHash: '0123456789abcdef',
          dataHash: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        },
        {
          runId: '20240501T0800-3c4d',
          status: 'failed',
          startedAt: '2024-05-01T08:00:00.000Z',
          finishedAt: '2024-05-01T08:00:01.000Z',
          window: { from: '2024-05-01T04:00:00.000Z', to: '2024-05-01T08:00:00.000Z' },
          rows: 0,
          files: [],
          bytes: 0,
          manifest: '',
          error: { code: 'destination-not-supported', message: 'destination "s3_out" is an s3 connection' },
        },
      ],
    },
  };
  doc.resources[address('Activation', 'newsletter')] = {
    kind: 'Activation',
    name: 'newsletter',
    configHash: hash('e'),
    config: { kind: 'Activation', name: 'newsletter', clientSecret: '(redacted)' },
    appliedAt: '2024-05-01T03:00:00.000Z',
    data: {
      syncMarks: { lapsed_buyers: { at: '2024-05-01T05:00:00.000Z', members: 42, hash: hash('f') } },
      snapshots: {
        lapsed_buyers: {
          key: 'warehouse/_activations/newsletter/lapsed_buyers/sync-20240501T050000Z-3f9a1c2b.parquet',
          runId: 'sync-20240501T050000Z-3f9a1c2b',
          segment: '[null,"lapsed_buyers"]',
          rows: 42,
          bytes: 1024,
          sha256: hash('1'),
        },
      },
      pendingSyncs: {
        lapsed_buyers: {
          key: 'syncs/newsletter/lapsed_buyers/sync-20240502T050000Z-0a1b2c3d.parquet',
          runId: 'sync-20240502T050000Z-0a1b2c3d',
          segment: '[null,"lapsed_buyers"]',
          header: '{"activation":"newsletter"}',
          attributes: hash('f'),
          batchSize: 500,
          batchCount: 1,
          added: 3,
          removed: 1,
          bytes: 512,
          sha256: hash('2'),
        },
      },
      runs: [
        {
          runId: 'sync-20240501T050000Z',
          status: 'succeeded',
          startedAt: '2024-05-01T05:00:01.000Z',
          finishedAt: '2024-05-01T05:00:03.000Z',
          window: { to: '2024-05-01T05:00:00.000Z' },
          rows: 45,
          files: [],
          bytes: 4096,
          manifest: '',
          sync: [
            {
              audience: 'lapsed_buyers',
              segment: 'lapsed_buyers',
              runId: 'sync-20240501T050000Z-3f9a1c2b',
              added: 43,
              removed: 2,
              batches: 1,
              delivered: 1,
              members: 42,
            },
          ],
        },
      ],
    },
  };
  doc.resources[address('Connection', 's3_out')] = {
    kind: 'Connection',
    name: 's3_out',
    configHash: hash('9'),
    config: { kind: 'Connection', name: 's3_out', type: 's3', secretAccessKey: '(sensitive)' },
    appliedAt: '2024-05-01T03:00:00.000Z',
    data: {
      check: {
        tested: {
          at: '2024-05-01T02:00:00.000Z',
          ok: false,
          error: { code: 'destination-auth-failed', message: 'connection "s3_out": 403 InvalidAccessKeyId' },
        },
        reachedAt: '2024-05-01T04:00:02.000Z',
      },
    },
  };
  return doc;
}
