// Child processes in these tests run the real src/state code. Node 20 cannot run TypeScript, so
// the sources are transpiled (types removed, one file to one file) into a temp dir.
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const folders = ['src/state', 'src/diagnostics', 'src/testing'];

/** Transpiles src/state (and what it imports) under `dir`; returns the URL of its index.js. */
export async function compileStateModule(dir: string): Promise<string> {
  for (const folder of folders) {
    for (const name of await readdir(join(repo, folder))) {
      if (!name.endsWith('.ts')) continue;
      const source = await readFile(join(repo, folder, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        fileName: name,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      const out = join(dir, folder.replace(/^src/, 'dist'), name.replace(/\.ts$/, '.js'));
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, outputText);
    }
  }
  // Same layout as the published package: dist/state/validate.js reads ../../schemas/.
  await mkdir(join(dir, 'schemas'), { recursive: true });
  await writeFile(
    join(dir, 'schemas/state.schema.json'),
    await readFile(join(repo, 'schemas/state.schema.json')),
  );
  await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return pathToFileURL(join(dir, 'dist/state/index.js')).href;
}
