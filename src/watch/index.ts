// Watch mode: chokidar loop that keeps config files parsed in memory and re-runs the pure stages.
export {
  isEditorTempFile,
  type ProjectWatcher,
  type ProjectWatcherOptions,
  type WatchCycle,
  watchProject,
} from './project-watcher.js';
