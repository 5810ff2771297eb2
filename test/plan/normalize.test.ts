import { describe, expect, it } from 'vitest';
import { configHash, normalizeConfig } from '../../src/plan/index.js';
import { exportOf, users } from '../support/model.js';

const hash = (kind: string, c: Record<string, unknown>) => configHash(normalizeConfig(kind, c));

describe('normalizeConfig', () => {
  it('ignores order where it carries no meaning: columns, labels, events, audiences, shareWith, subjects', () => {
    const a = users();
    const b = users({
      labels: { owner: 'ana', team: 'crm' },
      schema: { ...a.schema, columns: [...a.schema.columns].reverse() },
    });
    expect(hash('Dataflow', a)).toBe(hash('Dataflow', b));
    expect(hash('Export', exportOf({ from: { dataflow: 'ev', events: ['buy', 'visit'] } }))).toBe(
      hash('Export', exportOf({ from: { events: ['visit', 'buy'], dataflow: 'ev' } })),
    );
    const act = (audiences: string[]) => ({
      kind: 'Activation',
      name: 'a',
      destination: 'cms',
      audiences,
      personIdentifier: 'id',
    });
    expect(hash('Activation', act(['a', 'b']))).toBe(hash('Activation', act(['b', 'a'])));
    const conn = (shareWith: string[], subjects: string[]) => ({
      kind: 'Connection',
      name: 'c',
      type: 'local',
      root: 'out',
      shareWith,
      subjects,
    });
    expect(hash('Connection', conn(['x', 'y'], ['contact', 'customer']))).toBe(
      hash('Connection', conn(['y', 'x'], ['customer', 'contact'])),
    );
  });

  it('never changes the config it is given', () => {
    const configs: [string, Record<string, unknown>][] = [
      ['Dataflow', users()],
      ['Export', exportOf({ from: { dataflow: 'ev', events: ['visit', 'buy'] } })],
      [
        'Audience',
        {
          kind: 'Audience',
          name: 'a',
          people: 'u',
          conditions: [{ have: { trait: 'c', op: 'in', value: ['FR', 'DE'] } }, { did: 'x' }],
        },
      ],
    ];
    for (const [kind, config] of configs) {
      const copy = structuredClone(config);
      normalizeConfig(kind, config);
      expect(config).toEqual(copy);
    }
  });

  it('keeps export fields in order (it is the column order of the files)', () => {
    expect(hash('Export', exportOf({ fields: ['a', 'b'] }))).not.toBe(
      hash('Export', exportOf({ fields: ['b', 'a'] })),
    );
  });

  it('treats a written-out default like an omitted one', () => {
    expect(hash('Dataflow', users())).toBe(
      hash('Dataflow', users({ writeMode: 'append', onInvalid: 'skip' })),
    );
    expect(hash('Export', exportOf())).toBe(hash('Export', exportOf({ mode: 'incremental', enabled: true })));
  });

  it('keys columns by name and never keeps secret references in the clear', () => {
    const n = normalizeConfig('Dataflow', users());
    expect(Object.keys((n.schema as { columns: object }).columns)).toEqual(['country', 'email', 'userid']);
    const conn = (ref: string) => ({
      kind: 'Connection',
      name: 's3',
      type: 's3',
      bucket: 'b',
      region: 'eu-west-1',
      secretAccessKey: ref,
    });
    const a = normalizeConfig('Connection', conn('${env:A}'));
    expect(a.secretAccessKey).toBe('(sensitive)');
    expect(JSON.stringify(a)).not.toContain('env:A');
    expect(configHash(a)).not.toBe(configHash(normalizeConfig('Connection', conn('${env:B}'))));
  });
});
