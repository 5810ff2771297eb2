import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OutflowError } from '../../diagnostics/index.js';
import { OUTFLOW_DIR } from '../../project/layout.js';
import { schemasDir } from '../../schema/index.js';
import type { CommandContext } from '../context.js';
import { projectFiles } from '../init-template.js';

const SCHEMA_FILE = 'outflow.schema.json';

function projectName(dir: string): string {
  const n = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63);
  return n === '' ? 'my_project' : n;
}

/** `outflow init [DIR]`: a working project with sample data and editor wiring; never overwrites. */
export async function initCommand(ctx: CommandContext, dirArg: string | undefined): Promise<number> {
  const dir = resolve(ctx.cwd, dirArg ?? ctx.dir ?? '.');
  if (existsSync(join(dir, 'outflow.yaml'))) {
    throw new OutflowError('already-initialized', `${join(dir, 'outflow.yaml')} already exists`, {
      hint: 'init only creates new projects; edit the existing one, or choose another folder',
    });
  }
  const files: Record<string, string> = {
    ...projectFiles({ name: projectName(dir), dataDir: 'data', schemaPath: SCHEMA_FILE }),
    [SCHEMA_FILE]: await readFile(join(schemasDir, 'outflow.schema.json'), 'utf8'),
    '.gitignore': `${OUTFLOW_DIR}/\nout/\n`,
    '.vscode/settings.json': `${JSON.stringify({ 'yaml.schemas': { [`./${SCHEMA_FILE}`]: ['outflow.yaml', 'flows/**/*.yaml', 'flows/**/*.yml'] } }, null, 2)}\n`,
  };
  const clashes = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (clashes.length > 0) {
    throw new OutflowError('already-exists', `would overwrite ${clashes.join(', ')} in ${dir}`, {
      hint: 'run init in an empty folder',
    });
  }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content, { flag: 'wx' });
  }
  const shown = (await readdir(dir)).sort().join(', ');
  ctx.output.out(
    `Created an outflow project in ${dir} (${shown}).\nNext: cd ${dirArg ?? '.'} && outflow validate && outflow plan && outflow apply`,
  );
  return 0;
}
