// The plan: diff(desired model, state) → Plan. Pure: no fs, no clock, no console.
export { canonicalJson, configHash, sha256Hex } from './canonical.js';
export { breakingReasons, isMetadataOnly, replacementReasons } from './classify.js';
export { dataActions, exportRunId, type Observed } from './data-actions.js';
export { type DiffOptions, diff, hasChanges } from './diff.js';
export { type DueDecision, type DueInput, scheduleDue } from './due.js';
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
export * from './types.js';
