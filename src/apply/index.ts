export { type ApplyInput, type ApplyProgress, applyPlan, engineDirectories } from './apply.js';
export type { ApplyResult, ItemResult, ItemStatus } from './result.js';
