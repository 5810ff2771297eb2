import { describe, expect, it } from 'vitest';
import { diff, type Plan } from '../../src/plan/index.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { exportOf, modelOf, users } from '../support/model.js';
import { validatePlan } from '../support/plan-schema.js';

const now = new Date('2026-11-20T12:00:00Z');

function bigPlan(n: number): Plan {
  const flows = Array.from({ length: n }, (_, i) =>
    users({
      name: `users_${String(i).padStart(4, '0')}`,
      description: 'x'.repeat(200),
      schema: { ...users().schema, name: `d${i}` },
    }),
  );
  return diff(modelOf(...flows), undefined, { now, outflowVersion: 't' });
}

describe('renderers', () => {
  it('colour only when asked', () => {
    const plan = bigPlan(1);
    expect(renderText(plan, { color: false })).not.toContain('\u001b[');
    expect(renderText(plan, { color: true })).toContain('\u001b[');
  });

  it('markdown stays under 60,000 characters and says what it left out', () => {
    const plan = bigPlan(400);
    const md = renderMarkdown(plan);
    expect(md.length).toBeLessThan(60_000);
    const m = /truncated: (\d+) more changes not shown; run `outflow plan` locally/.exec(md);
    expect(m).not.toBeNull();
    const shown = (md.match(/<details>/g) ?? []).length;
    expect(shown + Number(m![1])).toBe(400);
  });

  it('json matches schemas/plan.schema.json and carries the plan in its published shape', () => {
    const conn = { kind: 'Connection', name: 'out', type: 'local', root: 'out' };
    const daily = exportOf({ name: 'daily', schedule: { every: '24h' }, mode: 'full', enabled: true });
    const plan = diff(modelOf(users(), conn, daily), undefined, {
      now,
      outflowVersion: '9.9.9',
      observed: { streamFiles: { 'Dataflow/users': [{ path: 'data/users/a.csv', size: 12 }] } },
    });
    const text = renderJson(plan);
    expect(text.endsWith('}\n')).toBe(true);
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(validatePlan(json), JSON.stringify(validatePlan.errors, null, 2)).toBe(true);
    expect(json).toMatchObject({
      formatVersion: 2,
      outflowVersion: '9.9.9',
      now: '2026-11-20T12:00:00.000Z',
      configHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      state: { lineage: null, serial: 0 },
      summary: { create: 3, update: 0, replace: 0, delete: 0, noop: 0, dataActions: 2 },
      problems: [],
    });
    const changes = json.resourceChanges as { address: string; action: string }[];
    expect(changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      'create Connection/out',
      'create Dataflow/users',
      'create Export/daily',
    ]);
    expect(json.dataActions).toEqual([
      expect.objectContaining({
        type: 'ingest',
        address: 'Dataflow/users',
        files: [{ path: 'data/users/a.csv', size: 12 }],
      }),
      expect.objectContaining({ type: 'export', address: 'Export/daily', mode: 'full' }),
    ]);
    // A plan that breaks the published shape is caught: the check above can fail.
    expect(validatePlan({ ...json, formatVersion: 1 })).toBe(false);
    const [first] = json.resourceChanges as Record<string, unknown>[];
    expect(validatePlan({ ...json, resourceChanges: [{ ...first, reason: 'not in state' }] })).toBe(false);
    expect(validatePlan({ ...json, resourceChanges: [{ ...first, reason: { code: 'because' } }] })).toBe(
      false,
    );
  });

  it('never prints a secret reference or value; shows (sensitive)', () => {
    const conn = {
      kind: 'Connection',
      name: 's3',
      type: 's3',
      bucket: 'b',
      region: 'r',
      secretAccessKey: '${env:TOP_SECRET}',
    };
    const plan = diff(modelOf(conn), undefined, { now, outflowVersion: 't' });
    for (const out of [renderText(plan, { color: false }), renderMarkdown(plan), renderJson(plan)]) {
      expect(out).not.toContain('TOP_SECRET');
      expect(out).toContain('(sensitive)');
    }
  });
});
