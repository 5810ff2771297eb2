import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Verify } from './servers/webhook.js';

/**
 * The receiver snippet of docs/activations.md (the first ```js block after
 * `<!-- receiver-snippet -->`), loaded as a module: the tests' receiver verifies every request
 * with exactly what the docs tell users to run.
 */
export async function documentedVerify(): Promise<Verify> {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'activations.md'), 'utf8');
  const after = doc.split('<!-- receiver-snippet -->')[1];
  const code = after === undefined ? undefined : /```js\n([\s\S]*?)```/.exec(after)?.[1];
  if (code === undefined) throw new Error('docs/activations.md has no receiver snippet');
  const dir = mkdtempSync(join(tmpdir(), 'outflow-snippet-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, code);
  const mod = (await import(pathToFileURL(file).href)) as { verifyWebhook?: Verify };
  if (typeof mod.verifyWebhook !== 'function')
    throw new Error('the receiver snippet exports no verifyWebhook');
  return mod.verifyWebhook;
}
