import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutflowError } from '../../src/diagnostics/errors.js';
import type { StateDocument } from '../../src/state/index.js';
import { emptyState, LocalStateBackend, nextRevision } from '../../src/state/index.js';
import { maximalState } from './support/sample-state.js';
import { makeTempDir } from './support/temp-dir.js';

const now = new Date('2024-05-01T03:00:00Z');

async function caught(promise: Promise<unknown>): Promise<OutflowError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutflowError) return error;
    throw error;
  }
  throw new Error('expected an OutflowError, nothing was thrown');
}

describe('LocalStateBackend', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let backend: LocalStateBackend;
  let file: string;

  beforeEach(async () => {
    temp = await makeTempDir('state');
    backend = new LocalStateBackend('.outflow/state.json', { root: temp.dir });
    file = join(temp.dir, '.outflow/state.json');
  });
  afterEach(() => temp.remove());

  it('reads undefined before the first write', async () => {
    expect(await backend.read()).toBeUndefined();
    expect(backend.describe()).toBe('.outflow/state.json');
    expect(backend.file).toBe(file);
  });

  it('round-trips a document, creating the directory', async () => {
    const doc = maximalState();
    await backend.write(doc);
    expect(await backend.read()).toEqual(doc);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(doc);
  });

  it('keeps the previous version as <path>.backup and leaves no temp files', async () => {
    let doc: StateDocument = emptyState(now, '0.1.0');
    await backend.write(doc);
    for (let i = 0; i < 3; i++) {
      doc = nextRevision(doc, now, '0.1.0');
      await backend.write(doc);
      expect((await backend.read())?.serial).toBe(doc.serial);
      const backup = new LocalStateBackend(`${file}.backup`);
      expect((await backup.read())?.serial).toBe(doc.serial - 1);
    }
    expect((await readdir(join(temp.dir, '.outflow'))).sort()).toEqual(['state.json', 'state.json.backup']);
  });

  it('refuses a write whose serial is not ahead of the stored one', async () => {
    const first = emptyState(now, '0.1.0');
    await backend.write(first);
    const second = nextRevision(first, now, '0.1.0');
    await backend.write(second);
    // A process that read serial 0 and now tries to write serial 1 again.
    const stale = await caught(backend.write(nextRevision(first, now, '0.1.0')));
    expect(stale.code).toBe('state-conflict');
    expect(stale.message).toBe(
      'state file .outflow/state.json has moved on: it is at serial 1, this write is serial 1',
    );
    expect((await caught(backend.write(first))).code).toBe('state-conflict');
    expect((await backend.read())?.serial).toBe(1);
  });

  it('refuses a write from another lineage', async () => {
    await backend.write(emptyState(now, '0.1.0'));
    const other = nextRevision(emptyState(now, '0.1.0'), now, '0.1.0');
    const error = await caught(backend.write(other));
    expect(error.code).toBe('state-conflict');
    expect(error.message).toMatch(/^state file \.outflow\/state\.json belongs to a different lineage/);
  });

  it('reports a file that is not JSON as state-corrupt, naming the file and the backup', async () => {
    let doc = emptyState(now, '0.1.0');
    await backend.write(doc);
    doc = nextRevision(doc, now, '0.1.0');
    await backend.write(doc);
    await writeFile(file, '{"formatVersion": 1, "lineage": ');
    const error = await caught(backend.read());
    expect(error.code).toBe('state-corrupt');
    expect(error.message).toMatch(/^state file \.outflow\/state\.json is corrupt: not valid JSON \(/);
    expect(error.hint).toBe(
      'the previous version (serial 0) is at .outflow/state.json.backup; ' +
        'restore it with: cp ".outflow/state.json.backup" ".outflow/state.json"',
    );
    expect(error.meta).toMatchObject({ path: file, backupPath: `${file}.backup` });
    // Writing over a corrupt state is refused too: the user decides what to restore.
    expect((await caught(backend.write(nextRevision(doc, now, '0.1.0')))).code).toBe('state-corrupt');
  });

  it('reports a document that breaks the schema as state-corrupt with the problem', async () => {
    const doc = maximalState();
    await backend.write(doc);
    const broken = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    broken.serial = -1;
    await writeFile(file, JSON.stringify(broken));
    const error = await caught(backend.read());
    expect(error.code).toBe('state-corrupt');
    expect(error.message).toBe('state file .outflow/state.json is corrupt: /serial must be >= 0');
    expect(error.hint).toMatch(/^no previous version at \.outflow\/state\.json\.backup; /);
  });

  it('reports an empty file as state-corrupt', async () => {
    await backend.write(emptyState(now, '0.1.0'));
    await writeFile(file, '');
    const error = await caught(backend.read());
    expect(error.message).toBe('state file .outflow/state.json is corrupt: the file is empty');
  });

  it('tells a state from a newer outflow apart from a corrupt one', async () => {
    await backend.write(emptyState(now, '0.1.0'));
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...doc, formatVersion: 2 }));
    const error = await caught(backend.read());
    expect(error.code).toBe('state-too-new');
    expect(error.hint).toBe('upgrade outflow to read this state');
  });

  it('refuses to write a document that breaks the schema', async () => {
    const doc = { ...emptyState(now, '0.1.0'), serial: 1.5 };
    const error = await caught(backend.write(doc));
    expect(error.code).toBe('state-invalid');
    expect(await backend.read()).toBeUndefined();
  });
});
