import type { Diagnostic } from '../../diagnostics/index.js';
import { audienceColumnsExist, dataflowColumnsAreConsistent, exportFieldsExistInSource } from './columns.js';
import type { Rule, RuleContext } from './context.js';
import { credentialsAreReferences } from './credentials.js';
import {
  audiencesEligibleForDestination,
  connectionSharingHonoured,
  exportOptionsFit,
  oneSegmentPerAudience,
  recurringAndOneTimeExclusive,
} from './exports.js';
import { exportLayoutFitsSource } from './layout.js';
import { pathsStayInRoot } from './paths.js';
import { referencesResolve } from './references.js';
import { schedulesWithinBounds } from './schedules.js';
import { sourcesReadFileStores } from './sources.js';
import { stateBackendIsComplete } from './state.js';

export { sourceColumnsOf } from './columns.js';
export type { Rule, RuleContext } from './context.js';
export { durationMs, isValidTimezone } from './schedules.js';

/** Every semantic rule, in the order their findings read best. */
export const RULES: readonly Rule[] = [
  referencesResolve,
  dataflowColumnsAreConsistent,
  audienceColumnsExist,
  exportFieldsExistInSource,
  exportOptionsFit,
  exportLayoutFitsSource,
  schedulesWithinBounds,
  pathsStayInRoot,
  sourcesReadFileStores,
  credentialsAreReferences,
  connectionSharingHonoured,
  audiencesEligibleForDestination,
  recurringAndOneTimeExclusive,
  oneSegmentPerAudience,
  stateBackendIsComplete,
];

export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): Diagnostic[] {
  return rules.flatMap((rule) => rule(ctx));
}
