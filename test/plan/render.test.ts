import { describe, expect, it } from 'vitest';
import { diff, type Plan } from '../../src/plan/index.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { modelOf, users } from '../support/model.js';

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

  it('json is the plan itself', () => {
    const plan = bigPlan(2);
    expect(JSON.parse(renderJson(plan))).toEqual(JSON.parse(JSON.stringify(plan)));
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
