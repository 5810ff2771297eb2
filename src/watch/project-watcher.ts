import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isConfigPath, listConfigFiles, toProjectPath } from '../config/index.js';
import {
  type LoadedProject,
  type LoadOptions,
  loadProjectFrom,
  memorySource,
  type ParseCache,
  type ProjectSource,
} from '../project/load.js';

/** What one watch cycle hands its listener: the re-loaded project and the files that changed. */
export interface WatchCycle {
  project: LoadedProject;
  changed: string[];
  /** Milliseconds from the first change seen to the project being loaded. */
  loadMs: number;
}

export interface ProjectWatcherOptions {
  root: string;
  load: LoadOptions;
  readable: ProjectSource['readable'];
  /** Quiet period after the last change before re-loading (default 50 ms). */
  debounceMs?: number;
  onCycle: (cycle: WatchCycle) => Promise<void>;
  onError: (error: unknown) => void;
}

export interface ProjectWatcher {
  /** Resolves once the watcher is ready and the first cycle has run. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Swap, backup and lock files editors write beside the real one (vim, emacs, JetBrains, VS Code). */
export function isEditorTempFile(path: string): boolean {
  const name = basename(path);
  return (
    name.startsWith('.') ||
    name.endsWith('~') ||
    name === '4913' ||
    /\.(swp|swo|swx|tmp|bak|orig)$/i.test(name) ||
    /___jb_(tmp|old)___$/.test(name)
  );
}

/**
 * Watches outflow.yaml and flows/** with chokidar, keeps every config file's bytes and parse in
 * memory, re-reads only the files that changed, and after a quiet period re-loads the project
 * (re-parsing only changed files) and calls `onCycle`. Cycles never overlap; a cycle that
 * throws is reported through `onError` and the watcher keeps going.
 */
export async function watchProject(options: ProjectWatcherOptions): Promise<ProjectWatcher> {
  const { root } = options;
  const files = new Map<string, Buffer>();
  const cache: ParseCache = new Map();
  for (const path of await listConfigFiles(root)) {
    const bytes = await readFile(join(root, path)).catch(() => undefined);
    if (bytes !== undefined) files.set(path, bytes);
  }
  const pending = new Set<string>();
  let firstChangeAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const source = memorySource(files, options.readable);
  const cycle = async (changed: string[], since: number): Promise<void> => {
    const project = await loadProjectFrom(root, source, options.load, cache);
    await options.onCycle({ project, changed, loadMs: performance.now() - since });
  };
  const flush = async (): Promise<void> => {
    timer = undefined;
    if (running !== undefined || closed) return;
    const changed = [...pending].sort();
    pending.clear();
    const since = firstChangeAt;
    firstChangeAt = 0;
    running = (async () => {
      await Promise.all(changed.map(reread));
      await cycle(changed, since);
    })()
      .catch(options.onError)
      .finally(() => {
        running = undefined;
        // Changes that arrived during the cycle get their own.
        if (pending.size > 0 && !closed) schedule();
      });
    await running;
  };
  const reread = async (path: string): Promise<void> => {
    const bytes = await readFile(join(root, path)).catch(() => undefined);
    if (bytes === undefined) files.delete(path);
    else files.set(path, bytes);
  };
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void flush(), options.debounceMs ?? 50);
  };
  const onEvent = (abs: string) => {
    const path = toProjectPath(root, abs);
    if (!isConfigPath(path) || isEditorTempFile(path)) return;
    if (firstChangeAt === 0) firstChangeAt = performance.now();
    pending.add(path);
    schedule();
  };

  const { watch } = await import('chokidar');
  const watcher = watch([join(root, 'outflow.yaml'), join(root, 'flows')], {
    ignoreInitial: true,
    ignored: (path: string) => path !== root && isEditorTempFile(path),
  });
  watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent);
  watcher.on('error', options.onError);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve())).then(() =>
    cycle([], performance.now()).catch(options.onError),
  );
  return {
    ready,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
}
