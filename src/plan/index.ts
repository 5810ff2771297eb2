// The plan: diff(desired model, state) → Plan. Pure: no fs, no clock, no console.

export { baselineState } from './baseline.js';
export { canonicalJson, configHash, sha256Hex } from './canonical.js';
export { breakingReasons, isMetadataOnly, replacementReasons } from './classify.js';
export {
  activationDueInput,
  dataActions,
  exportDueInput,
  exportRunId,
  type Observed,
  runConfigHash,
} from './data-actions.js';
export { type DiffOptions, diff, hasChanges, type NormalizeMemo, normalizedWithHash } from './diff.js';
export {
  type DueDecision,
  type DueInput,
  type DueRun,
  MAX_CATCH_UP_RUNS,
  nextDue,
  scheduleDue,
} from './due.js';
export { diffConfigs } from './field-diff.js';
export { formatTime, formatValue } from './format-value.js';
export { stalePlanReason } from './fresh.js';
export { modelConfigHash, planConfigHash } from './model-hash.js';
export {
  displayConfig,
  type NormalizedConfig,
  normalizeConfig,
  normalizeResource,
  SENSITIVE_KEY,
} from './normalize.js';
export { recordApplied } from './record.js';
export { dataflowsRead, type NamedTarget, resolveRunNames, selectRunActions } from './run-selection.js';
export * from './types.js';
