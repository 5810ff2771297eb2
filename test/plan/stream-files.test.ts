import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listStreamFiles } from '../../src/cli/stream-files.js';
import { modelOf, users } from '../support/model.js';

describe('listStreamFiles', () => {
  it('lists regular files the glob matches inside the project, never through symlinks or dot folders', () => {
    const base = mkdtempSync(join(tmpdir(), 'outflow-stream-'));
    const root = join(base, 'p');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'data', 'users', 'nested'), { recursive: true });
    mkdirSync(join(root, 'data', 'users', '.hidden'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'data', 'users', 'b.csv'), 'id\n1\n');
    writeFileSync(join(root, 'data', 'users', 'a.csv'), 'id\n');
    writeFileSync(join(root, 'data', 'users', 'notes.txt'), 'x');
    writeFileSync(join(root, 'data', 'users', 'nested', 'c.csv'), 'id\n');
    writeFileSync(join(root, 'data', 'users', '.hidden', 'd.csv'), 'id\n');
    writeFileSync(join(outside, 'secret.csv'), 'id\n');
    symlinkSync(join(outside, 'secret.csv'), join(root, 'data', 'users', 'link.csv'));
    symlinkSync(outside, join(root, 'data', 'users', 'linkdir'));
    const flat = listStreamFiles(root, modelOf(users()));
    expect(flat.streamFiles?.['Dataflow/users']).toEqual([
      { path: 'data/users/a.csv', size: 3 },
      { path: 'data/users/b.csv', size: 5 },
    ]);
    // Skipped links are reported, not dropped without a word (a folder link only where the glob descends).
    expect(flat.skipped).toEqual([
      { address: 'Dataflow/users', path: 'data/users/link.csv', reason: 'symlink-outside-project' },
    ]);
    const deep = listStreamFiles(
      root,
      modelOf(users({ source: { type: 'streamFile', path: 'data/**/*.csv' } })),
    );
    expect(deep.streamFiles?.['Dataflow/users']?.map((f) => f.path)).toEqual([
      'data/users/a.csv',
      'data/users/b.csv',
      'data/users/nested/c.csv',
    ]);
    expect(deep.skipped).toEqual([
      { address: 'Dataflow/users', path: 'data/users/link.csv', reason: 'symlink-outside-project' },
      { address: 'Dataflow/users', path: 'data/users/linkdir', reason: 'symlink-outside-project' },
    ]);
  });
});
