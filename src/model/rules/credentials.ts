import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, warningAt } from '../../diagnostics/index.js';
import { CREDENTIAL_FIELDS, SECRET_FIELDS } from '../../schema/index.js';
import { allResources, type ResourceNode } from '../model.js';
import { looksLikeReference, parseReference, referenceProblem } from '../secrets.js';
import type { Rule } from './context.js';

// Every string in `value` with its path, depth first (a list: a generator costs more per value).
function strings(
  value: unknown,
  path: (string | number)[],
  out: [string, (string | number)[]][] = [],
): [string, (string | number)[]][] {
  if (typeof value === 'string') out.push([value, path]);
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) strings(value[i], [...path, i], out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

// A `${` or a `://…@` in any key or string of the config: the same strings the test on its JSON
// text found (a JSON string's escapes neither make nor break either pattern), without the text.
const CREDENTIAL_HINT = /\$\{|:\/\/[^"]*@/;
function mayHoldCredential(value: unknown): boolean {
  if (typeof value === 'string') return CREDENTIAL_HINT.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(mayHoldCredential);
  for (const key of Object.keys(value))
    if (CREDENTIAL_HINT.test(key) || mayHoldCredential((value as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * Credentials come only from the environment or files: references resolve (named, never printed),
 * references appear only in credential fields, and URLs carry no embedded passwords.
 */
export const credentialsAreReferences: Rule = ({ model, env, fileReadable, secretsRequired }) => {
  const out: Diagnostic[] = [];
  const report = secretsRequired ? errorAt : warningAt;
  for (const node of allResources(model) as ResourceNode[]) {
    // Cheap pre-check: most resources hold no reference and no URL with credentials at all.
    if (node.kind !== 'Connection' && !mayHoldCredential(node.config)) continue;
    for (const [value, path] of strings(node.config, [])) {
      const field = path[path.length - 1];
      const isCredential =
        node.kind === 'Connection' &&
        path.length === 1 &&
        typeof field === 'string' &&
        CREDENTIAL_FIELDS.has(field);
      // Positions are looked up only for findings: locating means walking the YAML tree.
      const at = () => {
        const pos = node.locate(path);
        if (typeof field === 'string' && SECRET_FIELDS.has(field)) delete pos.source;
        return pos;
      };
      if (!isCredential) {
        if (looksLikeReference(value)) {
          out.push(
            errorAt(
              at(),
              'reference-not-allowed',
              `${path.join('.')}: \${env:…} / \${file:…} references are resolved only in credential fields`,
              `credential fields are ${[...CREDENTIAL_FIELDS].join(', ')}; write a literal value here`,
            ),
          );
        }
        if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) {
          const pos = at();
          delete pos.source;
          out.push(
            errorAt(
              pos,
              'literal-secret',
              `${path.join('.')} embeds a password in a URL`,
              "remove the user:password@ part and use the connection's credential fields with ${env:NAME}",
            ),
          );
        }
        continue;
      }
      const ref = parseReference(value);
      if (ref === undefined) {
        if (looksLikeReference(value))
          out.push(
            errorAt(
              at(),
              'invalid-reference',
              `${String(field)}: a reference must be the whole value, like \${env:NAME}`,
              'references are not interpolated inside longer strings',
            ),
          );
        else if (/^https?:\/\/[^?#]*\?(?:[^#]*&)?sig=/i.test(value)) {
          // A SAS token (an azure accountUrl's `sig=`) is a bearer secret: never quote the line.
          const pos = at();
          delete pos.source;
          out.push(
            errorAt(
              pos,
              'literal-secret',
              `${String(field)} holds a SAS token (sig=…) as a literal value`,
              `a SAS token is a secret: put the URL in an environment variable or a file and write ${String(field)}: \${env:NAME} (or \${file:path}); never commit secrets`,
            ),
          );
        }
        continue;
      }
      const problem = referenceProblem(ref, env, fileReadable);
      if (problem !== undefined)
        out.push(
          report(
            at(),
            'unresolved-secret',
            `${node.address} ${String(field)}: ${problem.message}`,
            problem.hint,
          ),
        );
    }
  }
  return out;
};
