import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listConfigFiles } from '../../src/config/index.js';
import {
  diskSource,
  loadProject,
  loadProjectFrom,
  memorySource,
  type ParseCache,
} from '../../src/project/load.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

async function inMemory(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const path of await listConfigFiles(root)) files.set(path, readFileSync(join(root, path)));
  return files;
}

describe('loading a project from a file source', () => {
  for (const name of [
    'validate-valid-project',
    'validate-many-errors',
    'validate-non-utf8',
    'plan-breaking',
  ]) {
    it(`gives the same model and diagnostics from memory as from disk: ${name}`, async () => {
      const root = join(fixtures, name);
      const disk = await loadProject(root, { secretsRequired: false });
      const memory = await loadProjectFrom(
        root,
        memorySource(await inMemory(root), diskSource(root).readable),
        {
          secretsRequired: false,
        },
      );
      expect(memory.diagnostics).toEqual(disk.diagnostics);
      expect(memory.files).toEqual(disk.files);
      expect([...memory.model.resources.Dataflow.keys()]).toEqual([...disk.model.resources.Dataflow.keys()]);
    });
  }

  it('re-parses only files whose text changed', async () => {
    const root = join(fixtures, 'plan-breaking');
    const files = await inMemory(root);
    const cache: ParseCache = new Map();
    const source = memorySource(files, () => true);
    const first = await loadProjectFrom(root, source, { secretsRequired: false }, cache);
    const kept = cache.get('flows/exports.yaml');
    files.set('flows/audiences.yaml', Buffer.from(`${files.get('flows/audiences.yaml')}\n# edited\n`));
    const second = await loadProjectFrom(root, source, { secretsRequired: false }, cache);
    expect(cache.get('flows/exports.yaml')).toBe(kept);
    expect(second.model.resources.Export.get('fr_daily')?.config).toBe(
      first.model.resources.Export.get('fr_daily')?.config,
    );
    expect(second.model.resources.Audience.get('fr_customers')?.config).not.toBe(
      first.model.resources.Audience.get('fr_customers')?.config,
    );
    files.delete('flows/exports.yaml');
    await loadProjectFrom(root, source, { secretsRequired: false }, cache);
    expect(cache.has('flows/exports.yaml')).toBe(false);
  });
});
