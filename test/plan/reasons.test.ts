import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanReason, ReasonCode } from '../../src/plan/index.js';
import { reasonText } from '../../src/render/index.js';

const root = join(import.meta.dirname, '..', '..');
const t = '2026-11-20T08:00:00.000Z';
const every = { every: '4h' };

// One sample per code (the type makes a missing code a compile error) and the words views show.
const SAMPLES: { [C in ReasonCode]: [Extract<PlanReason, { code: C }>, string] } = {
  'not-in-state': [{ code: 'not-in-state' }, 'not in state'],
  'not-in-base': [{ code: 'not-in-base', ref: 'origin/main' }, 'new: not in origin/main'],
  unchanged: [{ code: 'unchanged' }, 'unchanged'],
  'fields-changed': [
    { code: 'fields-changed', paths: ['a', 'b', 'c', 'd', 'e'] },
    'changed: a, b, c and 2 more',
  ],
  'hash-changed': [{ code: 'hash-changed' }, 'config hash differs from state'],
  'identity-changed': [
    {
      code: 'identity-changed',
      fields: [
        { path: 'entity', before: 'user', after: 'event' },
        { path: 'schema.name', before: 'a' },
      ],
    },
    'entity changed: user → event (forces replacement); schema.name changed: a → (none) (forces replacement)',
  ],
  'not-in-configuration': [{ code: 'not-in-configuration' }, 'not in configuration'],
  'removed-since-base': [
    { code: 'removed-since-base', ref: 'main' },
    'removed: in main, not in the work tree',
  ],
  'column-removed': [
    { code: 'column-removed', column: 'phone', dataset: 'customers' },
    'column phone removed from dataset customers',
  ],
  'column-retyped': [
    { code: 'column-retyped', column: 'id', before: 'integer', after: 'bigint' },
    'column id retyped: integer → bigint',
  ],
  'write-mode-overwrite': [
    { code: 'write-mode-overwrite', before: 'append' },
    'writeMode changed: append → overwrite (every apply replaces the dataset with the current files)',
  ],
  'incremental-destination-changed': [
    { code: 'incremental-destination-changed', before: 'a', after: 'b' },
    'destination changed for an incremental export: a → b (rows already sent are not sent again)',
  ],
  'incremental-path-changed': [
    { code: 'incremental-path-changed', before: 'x/{runId}', after: 'y/{runId}' },
    'path changed for an incremental export: "x/{runId}" → "y/{runId}" (readers of the old path see no new files)',
  ],
  'format-changed': [
    { code: 'format-changed', before: 'csv', after: 'parquet' },
    'format changed: csv → parquet',
  ],
  'field-dropped': [{ code: 'field-dropped', field: 'email' }, 'field email is no longer exported'],
  'match-narrowed': [{ code: 'match-narrowed' }, 'match changed: any → all (narrows the audience)'],
  'condition-changed': [
    { code: 'condition-changed', before: { did: 'buy', within: '30d' }, after: { did: 'buy', within: '7d' } },
    'condition changed: did buy within 30d → did buy within 7d (may narrow the audience)',
  ],
  'condition-added': [
    {
      code: 'condition-added',
      condition: { have: { aggregate: 'sum', of: 'price', event: 'buy', op: '>', value: 100 } },
    },
    'condition added under match: all: have sum of price on buy op ">" value 100 (may narrow the audience)',
  ],
  'condition-removed': [
    { code: 'condition-removed', condition: { have: { trait: 'country', op: 'in', value: ['FR'] } } },
    'condition removed under match: any: have trait country op in value [FR] (narrows the audience)',
  ],
  'dataflow-replaced': [
    { code: 'dataflow-replaced' },
    'replacing a dataflow drops its stored rows and ingests again',
  ],
  'protected-replaced': [{ code: 'protected-replaced' }, 'protected resource is replaced'],
  'protected-deleted': [{ code: 'protected-deleted' }, 'protected resource is deleted'],
  'new-stream-files': [{ code: 'new-stream-files', files: 1 }, '1 new stream file'],
  'overwrite-rebuild': [
    { code: 'overwrite-rebuild', files: 3, new: 1, gone: 2 },
    'overwrite: rebuild from 3 stream files (1 new, 2 gone)',
  ],
  'retry-pending-run': [
    { code: 'retry-pending-run', runId: '20261120T120000Z-1a2b3c4d' },
    'retrying interrupted run 20261120T120000Z-1a2b3c4d (same files, same rows)',
  ],
  'run-now': [{ code: 'run-now' }, 'run now (named)'],
  'schedule-due': [
    { code: 'schedule-due', schedule: every, lastRun: t, missedSlots: 3 },
    'schedule due: every 4h, 3 slots missed (catchUp: skip runs once), last run 2026-11-20T08:00Z',
  ],
  'catch-up': [
    { code: 'catch-up', schedule: { cron: '0 * * * *', timezone: 'UTC' }, lastRun: t, missedSlots: 4 },
    'schedule due: cron "0 * * * *" (UTC), 4 missed slots (catchUp: all)',
  ],
  'catch-up-run': [
    { code: 'catch-up-run', schedule: every, run: 2, of: 4, slot: t },
    'schedule due: every 4h, catch-up run 2 of 4 (slot 2026-11-20T08:00Z)',
  ],
  'schedule-off': [{ code: 'schedule-off' }, 'schedule off (enabled: false)'],
  'no-schedule': [{ code: 'no-schedule' }, 'no schedule (run it with outflow run NAME)'],
  'once-already-ran': [{ code: 'once-already-ran', lastRun: t }, 'once: already ran (2026-11-20T08:00Z)'],
  'not-due': [
    { code: 'not-due', schedule: every, lastRun: t },
    'not due: every 4h, last run 2026-11-20T08:00Z',
  ],
};

describe('plan reasons', () => {
  it('every code has its words in one place', () => {
    for (const [code, [reason, words]] of Object.entries(SAMPLES)) {
      expect(reason.code).toBe(code);
      expect(reasonText(reason)).toBe(words);
    }
  });

  it('are codes in kebab-case, each documented in docs/plan.md', () => {
    const docs = readFileSync(join(root, 'docs', 'plan.md'), 'utf8');
    for (const code of Object.keys(SAMPLES)) {
      expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(docs.includes(`\`${code}\``), `docs/plan.md lists ${code}`).toBe(true);
    }
  });

  it('the plan schema allows exactly the codes a plan can carry', () => {
    const schema = readFileSync(join(root, 'schemas', 'plan.schema.json'), 'utf8');
    // Schedule decisions that run nothing (not-due, …) are never in a plan.
    const notInPlans = new Set(['schedule-off', 'no-schedule', 'once-already-ran', 'not-due']);
    for (const code of Object.keys(SAMPLES))
      expect(schema.includes(`"${code}"`), code).toBe(!notInPlans.has(code));
  });

  it('show an unknown code (from a newer plan) as the code', () => {
    expect(reasonText({ code: 'from-the-future' } as unknown as PlanReason)).toBe('from-the-future');
  });
});
