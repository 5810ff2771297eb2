import { userInfo } from 'node:os';

/** The content of the lock file: who holds the lock, doing what, since when. */
export interface LockInfo {
  id: string;
  operation: string;
  owner: string;
  pid: number;
  host: string;
  createdAt: string;
}

/** `apply (alice@host pid 4242, 3 min ago)` */
export function describeLock(info: LockInfo, now: Date = new Date()): string {
  return `${info.operation} (${info.owner}@${info.host} pid ${info.pid}, ${formatAge(info.createdAt, now)})`;
}

/** `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 days ago`. */
export function formatAge(since: string, now: Date): string {
  const ms = now.getTime() - Date.parse(since);
  if (!Number.isFinite(ms)) return 'at an unknown time';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export function parseLockInfo(text: string): { ok: true; info: LockInfo } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: text.trim() === '' ? 'the file is empty' : 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, problem: 'not a JSON object' };
  const v = value as Record<string, unknown>;
  for (const key of ['id', 'operation', 'owner', 'host', 'createdAt'] as const) {
    if (typeof v[key] !== 'string') return { ok: false, problem: `"${key}" is missing or not a string` };
  }
  if (!Number.isSafeInteger(v.pid)) return { ok: false, problem: '"pid" is missing or not an integer' };
  const info: LockInfo = {
    id: v.id as string,
    operation: v.operation as string,
    owner: v.owner as string,
    pid: v.pid as number,
    host: v.host as string,
    createdAt: v.createdAt as string,
  };
  return { ok: true, info };
}

/** Whether a process with this pid exists on this host (a recycled pid counts as alive). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The user name to show as the lock's owner; containers may have no passwd entry. */
export function lockOwner(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
