import { describe, expect, it } from 'vitest';
import { diff, type Plan, recordApplied } from '../../src/plan/index.js';
import { changeDiagram, planView, renderMarkdown, renderText, watchView } from '../../src/render/index.js';
import type { StateDocument } from '../../src/state/index.js';
import { exportOf, modelOf, users } from '../support/model.js';

const now = new Date('2026-11-20T12:00:00Z');
const opts = { now, outflowVersion: 't' };
const conn = { kind: 'Connection', name: 'out', type: 'local', root: 'out' };
const other = { kind: 'Connection', name: 'other', type: 'local', root: 'o' };
const audience = {
  kind: 'Audience',
  name: 'fr',
  people: 'users',
  conditions: [{ did: 'buy', within: '30d' }],
};
const fromAudience = exportOf({ name: 'fr_daily', from: { audience: 'fr' }, enabled: false });
const fromUsers = exportOf({ name: 'all_users', enabled: false });

function applied(plan: Plan): StateDocument {
  let state: StateDocument = {
    formatVersion: 1,
    lineage: '11111111-2222-4333-8444-555555555555',
    serial: 1,
    outflowVersion: 't',
    updatedAt: now.toISOString(),
    resources: {},
  };
  for (const c of plan.resourceChanges) state = recordApplied(state, c, now);
  return state;
}

// A dataflow change: the audience and both exports are downstream; the connections are context.
function usersChanged(): Plan {
  const before = modelOf(users(), conn, other, audience, fromAudience, fromUsers);
  const state = applied(diff(before, undefined, opts));
  const after = modelOf(users({ writeMode: 'upsert' }), conn, other, audience, fromAudience, fromUsers);
  return diff(after, state, opts);
}

describe('the graph of a change', () => {
  it('plans carry each resource’s direct dependencies', () => {
    const plan = usersChanged();
    const deps = Object.fromEntries(plan.resourceChanges.map((c) => [c.address, c.dependsOn]));
    expect(deps).toEqual({
      'Connection/other': undefined,
      'Connection/out': undefined,
      'Dataflow/users': undefined,
      'Audience/fr': ['Dataflow/users'],
      'Export/all_users': ['Connection/out', 'Dataflow/users'],
      'Export/fr_daily': ['Audience/fr', 'Connection/out'],
    });
  });

  it('draws the changed resources, what is downstream and their direct dependencies in Mermaid', () => {
    const diagram = changeDiagram(usersChanged());
    expect(diagram?.nodes).toBe(5);
    expect(diagram?.mermaid).toBe(
      [
        'flowchart LR',
        '  Connection_out["Connection/out"]',
        '  Dataflow_users["~ Dataflow/users"]',
        '  Audience_fr["Audience/fr"]',
        '  Export_all_users["Export/all_users"]',
        '  Export_fr_daily["Export/fr_daily"]',
        '  Dataflow_users --> Audience_fr',
        '  Connection_out --> Export_all_users',
        '  Dataflow_users --> Export_all_users',
        '  Audience_fr --> Export_fr_daily',
        '  Connection_out --> Export_fr_daily',
        '  classDef update fill:#fff8c5,stroke:#9a6700,color:#000',
        '  class Dataflow_users update',
        '  classDef affected stroke-dasharray:4 3',
        '  class Audience_fr,Export_all_users,Export_fr_daily affected',
      ].join('\n'),
    );
    // Connection/other is unrelated to the change.
    expect(diagram?.mermaid).not.toContain('other');
  });

  it('puts the diagram and the indirectly affected resources in the markdown plan', () => {
    const md = renderMarkdown(usersChanged());
    expect(md).toContain('#### Dependency graph');
    expect(md).toMatch(/```mermaid\nflowchart LR\n[\s\S]*\n```\n/);
    expect(md.indexOf('```mermaid')).toBeLessThan(md.indexOf('#### Resource changes'));
    expect(md).toContain(
      [
        '#### Indirectly affected (unchanged, downstream of a change)',
        '',
        '- `Audience/fr`: depends on changed Dataflow/users',
        '- `Export/all_users`: depends on changed Dataflow/users',
        '- `Export/fr_daily`: depends on changed Dataflow/users',
      ].join('\n'),
    );
  });

  it('lists the indirectly affected resources in the text plan', () => {
    const text = renderText(usersChanged(), { color: false });
    expect(text).toContain(
      [
        'Indirectly affected (unchanged, downstream of a change):',
        '',
        '  Audience/fr       depends on changed Dataflow/users',
        '  Export/all_users  depends on changed Dataflow/users',
        '  Export/fr_daily   depends on changed Dataflow/users',
      ].join('\n'),
    );
  });

  it('leaves the diagram out when nothing changed, and says how to draw a large one', () => {
    const model = modelOf(users(), conn, audience, fromAudience);
    const unchanged = diff(model, applied(diff(model, undefined, opts)), opts);
    expect(changeDiagram(unchanged)).toBeUndefined();
    expect(renderMarkdown(unchanged)).not.toContain('mermaid');
    expect(renderText(unchanged, { color: false })).not.toContain('Indirectly affected');

    const many = Array.from({ length: 120 }, (_, i) =>
      users({ name: `users_${i}`, schema: { ...users().schema, name: `d${i}` } }),
    );
    const big = diff(modelOf(...many), undefined, opts);
    expect(changeDiagram(big)).toEqual({ nodes: 120 });
    const md = renderMarkdown(big);
    expect(md).not.toContain('```mermaid');
    expect(md).toContain(
      'more than 100 to draw here; `outflow graph --format mermaid` draws the whole graph',
    );
  });
});

describe('views', () => {
  it('print the plan as one block, the same text the renderers make', () => {
    const plan = usersChanged();
    expect(`${planView('text', { color: false }).plan(plan)}\n`).toBe(renderText(plan, { color: false }));
    expect(`${planView('markdown', { color: false }).plan(plan)}\n`).toBe(renderMarkdown(plan));
    expect(JSON.parse(planView('json', { color: false }).plan(plan))).toEqual(plan);
    expect(planView('text', { color: false }).invalidConfig([])).toBeUndefined();
    expect(JSON.parse(planView('json', { color: false }).invalidConfig([]) ?? '')).toMatchObject({
      error: { code: 'invalid-config' },
    });
  });

  it('watch heads later plans "since the last good config" and says when nothing changed', () => {
    const view = watchView({ color: false });
    const plan = usersChanged();
    expect(view.plan(plan, true).split('\n')[0]).toMatch(/^outflow plan at /);
    const later = view.plan(plan, false).split('\n');
    expect(later[0]).toBe('Since the last good config:');
    expect(later.slice(1)).toEqual(renderText(plan, { color: false }).split('\n').slice(1, -1));
    const model = modelOf(users());
    const same = diff(model, applied(diff(model, undefined, opts)), { ...opts, dataActions: false });
    expect(view.plan(same, false)).toBe('No changes since the last good config.');
  });
});
