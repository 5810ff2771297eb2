import type { Diagnostic } from '../../diagnostics/index.js';
import type { Model } from '../model.js';

/** What rules may look at. Effects (environment, file existence) are passed in, so rules stay pure. */
export interface RuleContext {
  model: Model;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a project-relative file exists and is readable. */
  fileReadable(path: string): boolean;
  /** Unresolvable secrets are errors (validate, apply) or warnings (plan of a PR without secrets). */
  secretsRequired: boolean;
}

export type Rule = (ctx: RuleContext) => Diagnostic[];
