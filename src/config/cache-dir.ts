import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * outflow's folder in the user's cache: $OUTFLOW_CACHE_DIR, else $XDG_CACHE_HOME/outflow, else
 * ~/.cache/outflow; OUTFLOW_CACHE_DIR=off (or empty) turns caching off (undefined). It holds
 * what saves a cold start work (expression checks, parsed config files), never anything a
 * command's result depends on beyond that: deleting it is always safe.
 */
export function userCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const own = env.OUTFLOW_CACHE_DIR;
  if (own !== undefined) return own === '' || own === 'off' ? undefined : own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'outflow');
  try {
    return join(homedir(), '.cache', 'outflow');
  } catch {
    return undefined;
  }
}
