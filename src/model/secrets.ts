import { pathEscapes } from './path-template.js';

/** A `${env:NAME}` or `${file:path}` reference, parsed. Only whole values are references. */
export type SecretReference = { source: 'env'; name: string } | { source: 'file'; path: string };

export const REDACTED = '(sensitive)';

export function parseReference(value: unknown): SecretReference | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\$\{(env|file):([^}]+)\}$/.exec(value);
  if (m === null) return undefined;
  return m[1] === 'env' ? { source: 'env', name: m[2]! } : { source: 'file', path: m[2]! };
}

export function looksLikeReference(value: unknown): boolean {
  return typeof value === 'string' && /\$\{(env|file):/.test(value);
}

/** Why a reference cannot be resolved, without ever saying what its value is. */
export function referenceProblem(
  ref: SecretReference,
  env: Readonly<Record<string, string | undefined>>,
  fileReadable: (path: string) => boolean,
): { message: string; hint: string } | undefined {
  if (ref.source === 'env') {
    const v = env[ref.name];
    if (v === undefined || v === '') {
      return {
        message: `environment variable ${ref.name} is not set`,
        hint: `export ${ref.name}=… before running outflow (in CI, add it as a secret)`,
      };
    }
    return undefined;
  }
  const escapes = pathEscapes(ref.path);
  if (escapes !== undefined)
    return {
      message: `secret file path "${ref.path}" ${escapes}`,
      hint: 'keep secret files inside the project (git-ignored), or use ${env:NAME}',
    };
  if (!fileReadable(ref.path))
    return {
      message: `secret file "${ref.path}" does not exist or is not readable`,
      hint: 'create the file (and git-ignore it), or use ${env:NAME}',
    };
  return undefined;
}
