// The plan: diff(desired model, state) → Plan. Pure: no fs, no clock, no console.

export { baselineState } from './baseline.js';
export { canonicalJson, configHash, isPlainObject, sha256Hex } from './canonical.js';
export { breakingReasons, identityChanges, isMetadataOnly } from './classify.js';
export {
  activationDueInput,
  dataActions,
  exportDataHash,
  exportDueInput,
  exportRunId,
  type Observed,
} from './data-actions.js';
export { type DiffOptions, diff, hasChanges } from './diff.js';
export {
  type DueDecision,
  type DueInput,
  type DueRun,
  MAX_CATCH_UP_RUNS,
  nextDue,
  scheduleDue,
} from './due.js';
export { diffConfigs } from './field-diff.js';
export { type Fingerprint, fingerprint, fingerprintOf, type NormalizeMemo } from './fingerprint.js';
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
export * from './reasons.js';
export { recordApplied } from './record.js';
export { type NamedTarget, resolveRunNames, selectRunActions } from './run-selection.js';
export * from './types.js';
