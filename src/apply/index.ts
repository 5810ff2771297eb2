export { type ApplyInput, applyPlan, engineDirectories } from './apply.js';
export type { ApplyResult, ItemResult, ItemStatus } from './result.js';
