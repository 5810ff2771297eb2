import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { schemasDir } from '../../schema/index.js';
import type { CommandContext } from '../context.js';

/** `outflow schema [--out FILE]`: the combined JSON Schema, for editors (yaml-language-server). */
export async function schemaCommand(ctx: CommandContext, options: { out?: string }): Promise<number> {
  const text = await readFile(join(schemasDir, 'outflow.schema.json'), 'utf8');
  if (options.out === undefined) {
    ctx.output.out(text);
    return 0;
  }
  const target = resolve(ctx.cwd, options.out);
  await writeFile(target, text);
  ctx.output.err(`wrote ${options.out}`);
  return 0;
}
