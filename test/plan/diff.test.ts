import { describe, expect, it } from 'vitest';
import { diff, hasChanges, type Plan, recordApplied, stalePlanReason } from '../../src/plan/index.js';
import { reasonText } from '../../src/render/index.js';
import type { StateDocument } from '../../src/state/index.js';
import { exportOf, modelOf, users } from '../support/model.js';

const now = new Date('2026-11-20T12:00:00Z');
const opts = { now, outflowVersion: '0.0.0-test' };
const LINEAGE = '11111111-2222-4333-8444-555555555555';

function applied(plan: Plan, serial = 1): StateDocument {
  let state: StateDocument = {
    formatVersion: 1,
    lineage: LINEAGE,
    serial: 0,
    outflowVersion: 'x',
    updatedAt: now.toISOString(),
    resources: {},
  };
  for (const c of plan.resourceChanges) state = recordApplied(state, c, now);
  return { ...state, serial };
}

// The words every human view shows for a change's breaking reasons.
const breakingWords = (plan: Plan, address: string) => change(plan, address).breaking.map(reasonText);

const change = (plan: Plan, address: string) => {
  const c = plan.resourceChanges.find((r) => r.address === address);
  if (c === undefined) throw new Error(`no change for ${address}`);
  return c;
};

describe('diff', () => {
  it('creates everything when there is no state, and nothing is left after recording it', () => {
    const model = modelOf(users(), exportOf({ enabled: false }));
    const first = diff(model, undefined, opts);
    expect(first.resourceChanges.map((c) => [c.address, c.action, c.reason])).toEqual([
      ['Dataflow/users', 'create', { code: 'not-in-state' }],
      ['Export/buyers', 'create', { code: 'not-in-state' }],
    ]);
    expect(first.state).toEqual({ lineage: null, serial: 0 });
    const second = diff(model, applied(first), opts);
    expect(second.resourceChanges.every((c) => c.action === 'no-op' && c.reason.code === 'unchanged')).toBe(
      true,
    );
    expect(hasChanges(second)).toBe(false);
    expect(second.configHash).toBe(first.configHash);
  });

  it('updates with field paths keyed by column name; a mandatory flip is an update', () => {
    const state = applied(diff(modelOf(users()), undefined, opts));
    const u = users();
    const optional = users({
      schema: {
        ...u.schema,
        columns: [{ ...u.schema.columns[0], mandatory: false }, ...u.schema.columns.slice(1)],
      },
    });
    const m = change(diff(modelOf(optional), state, opts), 'Dataflow/users');
    expect(m.action).toBe('update');
    expect(m.changes).toEqual([{ path: 'schema.columns.userid.mandatory', before: true, after: false }]);
    expect(m.reason).toEqual({ code: 'fields-changed', paths: ['schema.columns.userid'] });
    // Reordering columns changes nothing (inserts name their columns).
    const reordered = users({ schema: { ...u.schema, columns: [...u.schema.columns].reverse() } });
    expect(change(diff(modelOf(reordered), state, opts), 'Dataflow/users').action).toBe('no-op');
  });

  it('replaces a dataflow whose columns are retyped, added or removed: the stored dataset changes shape', () => {
    // Regression: the plan said "update" and the next ingest failed with ingest-schema-changed.
    const state = applied(diff(modelOf(users()), undefined, opts));
    const u = users();
    const retyped = users({
      schema: {
        ...u.schema,
        columns: [{ ...u.schema.columns[0], type: 'bigint' }, ...u.schema.columns.slice(1)],
      },
    });
    const c = change(diff(modelOf(retyped), state, opts), 'Dataflow/users');
    expect(c.action).toBe('replace');
    expect(c.changes).toEqual([{ path: 'schema.columns.userid.type', before: 'integer', after: 'bigint' }]);
    expect(c.classification).toBe('breaking');
    expect(c.reason).toEqual({
      code: 'identity-changed',
      fields: [
        {
          path: 'schema.columns (names and types)',
          before: 'country string, email string, userid integer',
          after: 'country string, email string, userid bigint',
        },
      ],
    });
    expect(c.breaking).toEqual([
      { code: 'column-retyped', column: 'userid', before: 'integer', after: 'bigint' },
      { code: 'dataflow-replaced' },
    ]);
    expect(c.breaking.map(reasonText)[0]).toBe('column userid retyped: integer → bigint');
  });

  it('replaces on an identity change and says why', () => {
    const state = applied(diff(modelOf(users()), undefined, opts));
    const c = change(diff(modelOf(users({ entity: 'event' })), state, opts), 'Dataflow/users');
    expect(c.action).toBe('replace');
    expect(c.reason).toEqual({
      code: 'identity-changed',
      fields: [{ path: 'entity', before: 'user', after: 'event' }],
    });
    expect(reasonText(c.reason)).toBe('entity changed: user → event (forces replacement)');
    expect(c.breaking).toContainEqual({ code: 'dataflow-replaced' });
    const e = applied(diff(modelOf(exportOf()), undefined, opts));
    expect(change(diff(modelOf(exportOf({ type: 'dataOut' })), e, opts), 'Export/buyers').action).toBe(
      'replace',
    );
  });

  it('deletes what is only in state; a protected delete or replace is a plan problem', () => {
    const state = applied(
      diff(modelOf(users({ lifecycle: { protect: true } }), exportOf()), undefined, opts),
    );
    const plan = diff(modelOf(users({ lifecycle: { protect: true } })), state, opts);
    expect(change(plan, 'Export/buyers')).toMatchObject({
      action: 'delete',
      reason: { code: 'not-in-configuration' },
    });
    expect(plan.problems).toEqual([]);
    const gone = diff(modelOf(), state, opts);
    expect(gone.problems.map((p) => [p.address, p.code])).toEqual([['Dataflow/users', 'protected-resource']]);
    const replaced = diff(modelOf(users({ entity: 'product', lifecycle: { protect: true } })), state, opts);
    expect(replaced.problems[0]?.message).toBe(
      'Dataflow/users is protected (lifecycle.protect: true) and would be replaced',
    );
    expect(breakingWords(replaced, 'Dataflow/users')).toContain('protected resource is replaced');
  });

  it('classifies description and label edits as metadata-only', () => {
    const state = applied(diff(modelOf(users()), undefined, opts));
    const c = change(
      diff(modelOf(users({ description: 'x', labels: { team: 'data' } })), state, opts),
      'Dataflow/users',
    );
    expect(c.classification).toBe('metadata-only');
    expect(c.changes.map((f) => f.path)).toEqual(['description', 'labels.owner', 'labels.team']);
  });

  it('flags overwrite, narrowed audiences and moved incremental exports as breaking', () => {
    const audience = (over: Record<string, unknown>) => ({
      kind: 'Audience',
      name: 'aud',
      people: 'users',
      conditions: [{ did: 'buy', within: '30d' }],
      ...over,
    });
    const state = applied(
      diff(
        modelOf(users(), audience({}), exportOf(), exportOf({ name: 'full', mode: 'full' })),
        undefined,
        opts,
      ),
    );
    const plan = diff(
      modelOf(
        users({ writeMode: 'overwrite' }),
        audience({ conditions: [{ did: 'buy', within: '7d' }, { didNot: 'return' }] }),
        exportOf({ destination: 'elsewhere' }),
        exportOf({ name: 'full', mode: 'full', destination: 'elsewhere' }),
      ),
      state,
      opts,
    );
    expect(change(plan, 'Dataflow/users').breaking[0]).toEqual({
      code: 'write-mode-overwrite',
      before: 'append',
    });
    expect(breakingWords(plan, 'Dataflow/users')[0]).toMatch(/^writeMode changed: append → overwrite/);
    expect(change(plan, 'Audience/aud').breaking.map((b) => b.code)).toEqual([
      'condition-changed',
      'condition-added',
    ]);
    expect(breakingWords(plan, 'Audience/aud')).toEqual([
      'condition changed: did buy within 30d → did buy within 7d (may narrow the audience)',
      'condition added under match: all: didNot return (may narrow the audience)',
    ]);
    expect(breakingWords(plan, 'Export/buyers')[0]).toMatch(
      /^destination changed for an incremental export: out → elsewhere/,
    );
    expect(change(plan, 'Export/full').classification).toBe('non-breaking');
    // Under match: any, adding a condition widens; removing one narrows.
    const anyState = applied(
      diff(modelOf(audience({ match: 'any', conditions: [{ did: 'a' }, { did: 'b' }] })), undefined, opts),
    );
    const widened = diff(
      modelOf(audience({ match: 'any', conditions: [{ did: 'a' }, { did: 'b' }, { did: 'c' }] })),
      anyState,
      opts,
    );
    expect(change(widened, 'Audience/aud').classification).toBe('non-breaking');
    const narrowed = diff(modelOf(audience({ match: 'any', conditions: [{ did: 'a' }] })), anyState, opts);
    expect(breakingWords(narrowed, 'Audience/aud')).toEqual([
      'condition removed under match: any: did b (narrows the audience)',
    ]);
  });

  it('shows a changed secret reference as a (sensitive) update', () => {
    const conn = (ref: string) => ({
      kind: 'Connection',
      name: 's3',
      type: 's3',
      bucket: 'b',
      region: 'r',
      secretAccessKey: ref,
    });
    const state = applied(diff(modelOf(conn('${env:A}')), undefined, opts));
    const c = change(diff(modelOf(conn('${env:B}')), state, opts), 'Connection/s3');
    expect(c.action).toBe('update');
    expect(c.changes).toEqual([
      { path: 'secretAccessKey', before: '(sensitive)', after: '(sensitive)', sensitive: true },
    ]);
    expect(JSON.stringify(c)).not.toMatch(/env:/);
  });

  it('filters by --target and --exclude and records them in the plan', () => {
    const model = modelOf(users(), exportOf());
    // A target brings what it depends on (Terraform's targeting): the export needs its dataflow.
    const t = diff(model, undefined, { ...opts, targets: ['Export/buyers'] });
    expect(t.resourceChanges.map((c) => c.address)).toEqual(['Dataflow/users', 'Export/buyers']);
    expect(t.targets).toEqual(['Export/buyers']);
    const x = diff(model, undefined, { ...opts, excludes: ['Export/buyers'] });
    expect(x.resourceChanges.map((c) => c.address)).toEqual(['Dataflow/users']);
    expect(x.dataActions.every((a) => a.address !== 'Export/buyers')).toBe(true);
    // Excluding a resource excludes what depends on it.
    const xd = diff(model, undefined, { ...opts, excludes: ['Dataflow/users'] });
    expect(xd.resourceChanges.map((c) => c.address)).toEqual([]);
  });

  it('marks unchanged resources downstream of a change as affected', () => {
    const model = modelOf(users(), exportOf());
    const state = applied(diff(model, undefined, opts));
    const u = users();
    const changed = modelOf(
      users({ schema: { ...u.schema, columns: [...u.schema.columns, { name: 'city', type: 'string' }] } }),
      exportOf(),
    );
    const plan = diff(changed, state, opts);
    expect(change(plan, 'Dataflow/users').action).toBe('replace');
    expect(change(plan, 'Export/buyers')).toMatchObject({ action: 'no-op', affectedBy: ['Dataflow/users'] });
    expect(change(diff(model, state, opts), 'Export/buyers').affectedBy).toBeUndefined();
  });

  it('resolves defaults once: an audience export is full, in the plan and in what it runs', () => {
    // Regression: normalize stored mode: incremental for audience exports, data actions ran them full.
    const aud = {
      kind: 'Audience',
      name: 'a',
      people: 'users',
      conditions: [{ have: { trait: 'country', op: '=', value: 'FR' } }],
    };
    const exp = exportOf({ from: { audience: 'a' }, schedule: { every: '4h' } });
    const plan = diff(modelOf(users(), aud, exp), undefined, opts);
    expect((change(plan, 'Export/buyers').after as { mode: string }).mode).toBe('full');
    const run = plan.dataActions.find((a) => a.address === 'Export/buyers');
    expect(run).toMatchObject({ type: 'export', mode: 'full' });
    // So changing its destination is not "breaking for an incremental export".
    const state = applied(plan);
    const moved = diff(modelOf(users(), aud, { ...exp, destination: 'elsewhere' }), state, opts);
    expect(
      change(moved, 'Export/buyers')
        .breaking.map((b) => b.code)
        .join(' '),
    ).not.toMatch(/incremental/);
  });

  it('compares a state written before a default existed as unchanged', () => {
    const model = modelOf(users(), exportOf());
    const state = applied(diff(model, undefined, opts));
    const stored = state.resources['Export/buyers']!;
    const { manifest: _m, splitBy: _s, ...older } = stored.config;
    state.resources['Export/buyers'] = { ...stored, config: older, configHash: '0'.repeat(64) };
    expect(change(diff(model, state, opts), 'Export/buyers').action).toBe('no-op');
  });

  it('ingests stream files not yet ingested (by path and size)', () => {
    const model = modelOf(users());
    const state = applied(diff(model, undefined, opts));
    state.resources['Dataflow/users']!.data = {
      ingestedFiles: [
        {
          path: 'data/users/a.csv',
          size: 10,
          sha256: '0'.repeat(64),
          ingestedAt: now.toISOString(),
          rows: 1,
          rejected: 0,
          seqFrom: 1,
          seqTo: 1,
        },
      ],
    };
    const observed = {
      streamFiles: {
        'Dataflow/users': [
          { path: 'data/users/a.csv', size: 10 },
          { path: 'data/users/b.csv', size: 5 },
        ],
      },
    };
    const plan = diff(model, state, { ...opts, observed });
    expect(plan.dataActions).toEqual([
      {
        type: 'ingest',
        address: 'Dataflow/users',
        files: [{ path: 'data/users/b.csv', size: 5 }],
        reason: { code: 'new-stream-files', files: 1 },
      },
    ]);
    // A file that changed size is new again.
    observed.streamFiles['Dataflow/users'][0]!.size = 11;
    expect(diff(model, state, { ...opts, observed }).dataActions[0]).toMatchObject({
      reason: { code: 'new-stream-files', files: 2 },
    });
  });

  it('rebuilds an overwrite dataflow when its files changed, and syncs due activations', () => {
    const activation = {
      kind: 'Activation',
      name: 'news',
      destination: 'cms',
      audiences: ['a', 'b'],
      personIdentifier: 'userid',
      schedule: { every: '24h' },
    };
    const model = modelOf(users({ writeMode: 'overwrite' }), activation);
    const state = applied(diff(model, undefined, opts));
    const file = {
      path: 'data/users/a.csv',
      size: 10,
      sha256: '0'.repeat(64),
      ingestedAt: now.toISOString(),
      rows: 1,
      rejected: 0,
      seqFrom: 1,
      seqTo: 1,
    };
    state.resources['Dataflow/users']!.data = { ingestedFiles: [file] };
    state.resources['Activation/news']!.data = {
      syncMarks: {
        a: { at: '2026-11-19T10:00:00.000Z', members: 1, hash: 'h' },
        b: { at: '2026-11-19T13:00:00.000Z', members: 1, hash: 'h' },
      },
    };
    const same = { streamFiles: { 'Dataflow/users': [{ path: 'data/users/a.csv', size: 10 }] } };
    expect(diff(model, state, { ...opts, observed: same }).dataActions).toEqual([]);
    const more = {
      streamFiles: {
        'Dataflow/users': [
          { path: 'data/users/a.csv', size: 10 },
          { path: 'data/users/b.csv', size: 1 },
        ],
      },
    };
    const later = new Date('2026-11-20T13:00:00Z');
    expect(diff(model, state, { ...opts, now: later, observed: more }).dataActions).toEqual([
      {
        type: 'ingest',
        address: 'Dataflow/users',
        files: more.streamFiles['Dataflow/users'],
        reason: { code: 'overwrite-rebuild', files: 2, new: 1, gone: 0 },
      },
      {
        type: 'activation-sync',
        address: 'Activation/news',
        reason: { code: 'schedule-due', schedule: { every: '24h' }, lastRun: '2026-11-19T13:00:00.000Z' },
      },
    ]);
    const [ingest, sync] = diff(model, state, { ...opts, now: later, observed: more }).dataActions;
    expect(reasonText(ingest!.reason)).toBe('overwrite: rebuild from 2 stream files (1 new, 0 gone)');
    expect(reasonText(sync!.reason)).toBe('schedule due: every 24h, last run 2026-11-19T13:00Z');
  });

  it('refuses a saved plan once the state or config moved on', () => {
    const plan = diff(modelOf(users()), undefined, opts);
    expect(stalePlanReason(plan, undefined, plan.configHash)).toBeUndefined();
    const state = applied(plan, 12);
    const later = { ...plan, state: { lineage: LINEAGE, serial: 11 } };
    expect(stalePlanReason(later, state)).toBe(
      'saved plan is stale: state serial 12, plan made at 11 — run plan again',
    );
    expect(stalePlanReason(plan, state)).toMatch(
      /^saved plan is stale: it was made for state lineage \(none\)/,
    );
    expect(stalePlanReason({ ...later, state: { lineage: LINEAGE, serial: 12 } }, state, 'other')).toMatch(
      /configuration changed/,
    );
  });

  it('recordApplied keeps data on update, drops it on replace, removes on delete', () => {
    const first = diff(modelOf(users()), undefined, opts);
    const state = applied(first);
    state.resources['Dataflow/users']!.data = { ingestSeq: 3 };
    const upd = change(diff(modelOf(users({ description: 'd' })), state, opts), 'Dataflow/users');
    expect(recordApplied(state, upd, now).resources['Dataflow/users']?.data).toEqual({ ingestSeq: 3 });
    const rep = change(diff(modelOf(users({ entity: 'product' })), state, opts), 'Dataflow/users');
    expect(recordApplied(state, rep, now).resources['Dataflow/users']?.data).toBeUndefined();
    const del = change(diff(modelOf(), state, opts), 'Dataflow/users');
    expect(recordApplied(state, del, now).resources).toEqual({});
  });
});
