import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OutflowError } from '../diagnostics/index.js';
import { parseReference } from '../model/index.js';

/** Where references are resolved: the project root (for `${file:…}`) and the environment. */
export interface SecretContext {
  root: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The value of a credential field: `${env:NAME}` from the environment, `${file:path}` from a file
 * in the project, anything else as written (non-secret fields such as accessKeyId may be plain).
 * Errors name the field and the reference, never the value.
 */
export async function resolveCredential(
  connection: string,
  field: string,
  value: string | undefined,
  context: SecretContext,
): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const ref = parseReference(value);
  if (ref === undefined) return value;
  if (ref.source === 'env') {
    const v = context.env[ref.name];
    if (v === undefined || v === '')
      throw new OutflowError(
        'secret-missing',
        `connection "${connection}": ${field} refers to environment variable ${ref.name}, which is not set`,
        { hint: `export ${ref.name}=… before running outflow (in CI, add it as a secret)` },
      );
    return v;
  }
  try {
    return (await readFile(resolve(context.root, ref.path), 'utf8')).trim();
  } catch {
    throw new OutflowError(
      'secret-missing',
      `connection "${connection}": ${field} refers to file ${ref.path}, which cannot be read`,
      { hint: 'create the file (and git-ignore it), or use ${env:NAME}' },
    );
  }
}

/** `prefix/` + key, with a trailing slash or none on the prefix meaning the same. */
export function prefixedKey(prefix: string | undefined, key: string): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? key : `${p}/${key}`;
}

/**
 * `text` with every occurrence of each secret value replaced by `***`, for messages meant for a
 * user. Values shorter than `minLength` are left alone (masking a two-letter value would mangle
 * the message without protecting anything).
 */
export function maskSecrets(text: string, secrets: readonly string[], minLength = 1): string {
  let out = text;
  for (const s of secrets) if (s.length >= Math.max(1, minLength)) out = out.split(s).join('***');
  return out;
}
