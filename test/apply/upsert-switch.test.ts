import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../support/temp.js';

// An upsert dataflow's table holds one row per person, so audiences read it without a
// latest-row window. A dataflow that becomes upsert with no new file must be brought to one row
// per person by the apply that changes it, or an old row would make someone a member again.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const scratch = tempDirs('outflow-upsert-switch');
afterAll(() => scratch.removeAll());

const flows = (writeMode: string) => `kind: Dataflow
name: users
entity: user
source: {type: streamFile, path: data/*.csv, format: csv}
schema:
  name: customers
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id}
    - {name: country, type: string, from: country}
writeMode: ${writeMode}
---
kind: Audience
name: eu
people: users
conditions:
  - have: {trait: country, op: in, value: [FR, DE]}
`;

const cli = (dir: string, args: string[]) =>
  execa('node', [bin, '-C', dir, ...args], { reject: false, env: { CI: 'true', NO_COLOR: '1' } });

describe('a dataflow that becomes upsert', () => {
  it('keeps the latest row per person at once, so audiences see each person once, as they were last', async () => {
    const dir = scratch.make('p');
    mkdirSync(join(dir, 'flows'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'outflow.yaml'), 'kind: Project\nname: p\ntimezone: UTC\n');
    writeFileSync(join(dir, 'flows', 'main.yaml'), flows('append'));
    writeFileSync(join(dir, 'data', 'a.csv'), 'id,country\n1,FR\n2,DE\n3,US\n');
    writeFileSync(join(dir, 'data', 'b.csv'), 'id,country\n1,US\n3,FR\n');
    const now = ['--now', '2026-11-20T12:00:00Z'];
    expect((await cli(dir, ['apply', '--auto-approve', ...now])).exitCode).toBe(0);
    const before = await cli(dir, ['preview', 'audience', 'eu', ...now]);
    expect(before.stdout).toMatch(/\b2 members\b/);
    writeFileSync(join(dir, 'flows', 'main.yaml'), flows('upsert'));
    const switched = await cli(dir, ['apply', '--auto-approve', ...now]);
    expect(switched.exitCode, switched.stdout + switched.stderr).toBe(0);
    expect(switched.stdout).toMatch(/update Dataflow\/users/);
    const after = await cli(dir, ['preview', 'audience', 'eu', ...now]);
    expect(after.stdout, after.stdout).toMatch(/\b2 members\b/);
  });
});
