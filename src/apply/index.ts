export { engineDirectories } from './engine-directories.js';
export {
  type ApplyDeps,
  type ApplyInput,
  type ApplyProgress,
  applyPlan,
  type TransferProgress,
} from './executor.js';
export type { ApplyResult, ItemResult, ItemStatus } from './result.js';
export { type ApplyEvent, MAX_RUNS, transition } from './transitions.js';
