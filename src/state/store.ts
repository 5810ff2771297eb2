import { LocalStateBackend } from './local-backend.js';
import {
  type AcquireLockOptions,
  acquireLock,
  readLock,
  type StateLock,
  type UnlockResult,
  unlock,
} from './lock.js';
import type { LockInfo } from './lock-info.js';
import type { StateBackend } from './types.js';

/**
 * Where a project's state and its lock live: a file beside the project (`local`) or an object
 * store (`s3`, `gcs`, `azure`). Every command that reads, writes or locks state goes through one.
 */
export interface StateStore extends StateBackend {
  /** `local`, or the remote backend's name. */
  readonly backend: 'local' | 's3' | 'gcs' | 'azure';
  /** Where the lock lives, for messages (`.outflow/state.lock`, `s3://bucket/prefix/state.lock`). */
  describeLock(): string;
  /** Takes the lock, or throws `state-locked` naming the holder (after `wait` ms of retrying). */
  acquireLock(options: AcquireLockOptions): Promise<StateLock>;
  /** The current holder, or undefined when unlocked; throws `lock-corrupt` when unreadable. */
  readLock(): Promise<LockInfo | undefined>;
  /** Breaks the lock and says whose it was (see `unlock` for when it refuses without `force`). */
  unlock(options: { force?: boolean }): Promise<UnlockResult>;
}

/** Today's local state: a JSON file replaced atomically, and an O_EXCL lock file beside it. */
export class LocalStateStore extends LocalStateBackend implements StateStore {
  readonly backend = 'local' as const;

  constructor(
    statePath: string,
    private readonly lockFile: string,
    private readonly lockShown: string,
    root: string,
  ) {
    super(statePath, { root });
  }

  describeLock(): string {
    return this.lockShown;
  }

  acquireLock(options: AcquireLockOptions): Promise<StateLock> {
    return acquireLock(this.lockFile, options);
  }

  readLock(): Promise<LockInfo | undefined> {
    return readLock(this.lockFile);
  }

  unlock(options: { force?: boolean }): Promise<UnlockResult> {
    return unlock(this.lockFile, options);
  }
}
