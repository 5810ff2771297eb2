import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutflowError } from '../diagnostics/errors.js';
import { crashPoint } from '../testing/crash-points.js';
import { assertMovesForward, parseStateText } from './local-backend.js';
import type { AcquireLockOptions, StateLock, UnlockResult } from './lock.js';
import { describeLock, isProcessAlive, type LockInfo, lockOwner, parseLockInfo } from './lock-info.js';
import type { StateStore } from './store.js';
import type { StateDocument } from './types.js';
import { checkStateDocument } from './validate.js';

/** An object's text and the store's version of it (S3 ETag, GCS generation, Azure ETag). */
export interface VersionedText {
  text: string;
  version: string;
}

/**
 * The four calls a remote state needs from a bucket, each a conditional request the store
 * enforces: a write happens only when the object is absent (`expected` undefined: S3
 * `If-None-Match: *`, GCS `ifGenerationMatch: 0`, Azure `If-None-Match: *`) or still at the
 * version it was read at (S3 `If-Match`, GCS `ifGenerationMatch`, Azure `If-Match`).
 */
export interface ConditionalObjects {
  /** `s3://bucket/prefix/key`, for messages (never a secret). */
  describe(key: string): string;
  get(key: string): Promise<VersionedText | undefined>;
  /** 'conflict' when the object exists (expected undefined) or has another version. */
  put(key: string, text: string, expected: string | undefined): Promise<{ version: string } | 'conflict'>;
  /** Deletes the object while it is at `expected`; 'conflict' when it changed, 'missing' when gone. */
  delete(key: string, expected: string): Promise<'deleted' | 'conflict' | 'missing'>;
}

export const STATE_OBJECT = 'state.json';
export const LOCK_OBJECT = 'state.lock';
const POLL_MS = 500;
/** How long a signal handler may spend removing the lock before the process exits anyway. */
const RELEASE_ON_SIGNAL_MS = 5000;

/**
 * State in an object store: `<prefix>/state.json` written only over the version this process last
 * saw (so two runners can never overwrite each other), and a create-only `<prefix>/state.lock`.
 */
export class RemoteStateStore implements StateStore {
  // The version of state.json this process last read or wrote; undefined: not read yet, null: absent.
  private seen: string | null | undefined;

  constructor(
    readonly backend: 's3' | 'gcs' | 'azure',
    private readonly objects: ConditionalObjects,
    private readonly prefix: string,
  ) {}

  private key(name: string): string {
    const p = this.prefix.replace(/^\/+|\/+$/g, '');
    return p === '' ? name : `${p}/${name}`;
  }

  describe(): string {
    return this.objects.describe(this.key(STATE_OBJECT));
  }

  describeLock(): string {
    return this.objects.describe(this.key(LOCK_OBJECT));
  }

  async read(): Promise<StateDocument | undefined> {
    const stored = await this.objects.get(this.key(STATE_OBJECT));
    this.seen = stored?.version ?? null;
    return stored === undefined ? undefined : this.parse(stored);
  }

  async write(doc: StateDocument): Promise<void> {
    const check = checkStateDocument(doc);
    if (!check.ok) {
      throw new OutflowError(
        'state-invalid',
        `refusing to write an invalid state to ${this.describe()}: ${check.problems.join('; ')}`,
        {
          hint: 'this is a bug in outflow; rerun with --debug and report it',
          meta: { problems: check.problems },
        },
      );
    }
    const key = this.key(STATE_OBJECT);
    const stored = await this.objects.get(key);
    const version = stored?.version ?? null;
    // Checked here too, because s3rver and the GCS emulator ignore preconditions: a writer that
    // did not see the stored version must not replace it, whatever its serial says.
    if (this.seen !== undefined && this.seen !== version) throw this.conflict(version);
    if (stored !== undefined) assertMovesForward(this.describe(), this.parse(stored), doc);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    let result = await this.objects.put(key, text, stored?.version);
    if (result === 'conflict') {
      // A retried put whose first try landed (its answer lost to a reset) is refused by its own
      // condition: the object then holds exactly this text, and the write did happen.
      const now = await this.objects.get(key);
      if (now?.text !== text) throw this.conflict(undefined);
      result = { version: now.version };
    }
    crashPoint('state.remote-written');
    this.seen = result.version;
  }

  async acquireLock(options: AcquireLockOptions): Promise<StateLock> {
    const info: LockInfo = {
      id: randomUUID(),
      operation: options.operation,
      owner: lockOwner(),
      pid: process.pid,
      host: hostname(),
      createdAt: new Date().toISOString(),
    };
    const key = this.key(LOCK_OBJECT);
    const wait = options.wait ?? 0;
    const deadline = Date.now() + wait;
    for (;;) {
      // Looking first keeps the lock exclusive on stores that ignore If-None-Match (s3rver, the
      // GCS emulator) when runners do not start in the same instant; real stores need only the put.
      let holder = await this.objects.get(key);
      if (holder === undefined) {
        const created = await this.objects.put(key, `${JSON.stringify(info)}\n`, undefined);
        if (created !== 'conflict') {
          const back = await this.objects.get(key);
          const mine = back === undefined ? undefined : parseLockInfo(back.text);
          if (mine?.ok === true && mine.info.id === info.id) return this.hold(key, info);
        }
        holder = await this.objects.get(key);
        if (holder === undefined) continue; // released between our attempt and the read
      }
      if (Date.now() >= deadline) throw this.locked(holder, wait);
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  async readLock(): Promise<LockInfo | undefined> {
    const stored = await this.objects.get(this.key(LOCK_OBJECT));
    if (stored === undefined) return undefined;
    const parsed = parseLockInfo(stored.text);
    if (!parsed.ok) throw this.corrupt(parsed.problem);
    return parsed.info;
  }

  /**
   * Breaks the lock. Without `force` it removes only a lock whose holder ran on this host and is
   * gone: a runner elsewhere may still be working, and only the user can know it is not.
   */
  async unlock(options: { force?: boolean }): Promise<UnlockResult> {
    const key = this.key(LOCK_OBJECT);
    const stored = await this.objects.get(key);
    if (stored === undefined) return { removed: false, holder: undefined };
    const parsed = parseLockInfo(stored.text);
    if (!parsed.ok && options.force !== true) throw this.corrupt(parsed.problem);
    const holder = parsed.ok ? parsed.info : undefined;
    if (holder !== undefined && options.force !== true) {
      const here = holder.host === hostname();
      if (!here || isProcessAlive(holder.pid)) {
        throw new OutflowError(
          'lock-alive',
          here
            ? `state lock is held by a running process: ${describeLock(holder)}`
            : `state lock is held by ${describeLock(holder)} on another machine; outflow cannot tell whether it is still running`,
          {
            hint: 'wait for it to finish; if it is gone (a cancelled CI job), "outflow state unlock --force" removes the lock',
            meta: { lock: this.describeLock(), holder },
          },
        );
      }
    }
    const outcome = await this.objects.delete(key, stored.version);
    if (outcome === 'conflict') {
      throw new OutflowError(
        'lock-changed',
        `state lock ${this.describeLock()} changed while it was being removed`,
        {
          hint: 'another process took or broke the lock meanwhile; run "outflow state unlock" again to see who holds it',
        },
      );
    }
    return { removed: outcome === 'deleted', holder };
  }

  private hold(key: string, info: LockInfo): StateLock {
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      released ??= (async () => {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
        crashPoint('lock.releasing');
        const stored = await this.objects.get(key);
        if (stored === undefined) return;
        const parsed = parseLockInfo(stored.text);
        if (parsed.ok && parsed.info.id === info.id) await this.objects.delete(key, stored.version);
      })();
      return released;
    };
    // An exit handler cannot wait for a request: on a signal, remove the lock first (bounded), then exit.
    const onSignal = (code: number) => {
      const timer = setTimeout(() => process.exit(code), RELEASE_ON_SIGNAL_MS);
      release()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          process.exit(code);
        });
    };
    const onSigint = () => onSignal(130);
    const onSigterm = () => onSignal(143);
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    return { path: this.describeLock(), info, release };
  }

  private parse(stored: VersionedText): StateDocument {
    const outcome = parseStateText(stored.text);
    if (outcome.kind === 'ok') return outcome.doc;
    if (outcome.kind === 'missing') throw new Error('unreachable');
    const where = this.describe();
    throw new OutflowError(
      outcome.code,
      outcome.code === 'state-too-new'
        ? `state ${where} was written by a newer outflow: ${outcome.problem}`
        : `state ${where} is corrupt: ${outcome.problem}`,
      {
        hint:
          outcome.code === 'state-too-new'
            ? 'upgrade outflow to read this state'
            : 'restore an earlier version of the object (turn on bucket versioning to keep them), or fix it by hand',
        meta: { problem: outcome.problem },
      },
    );
  }

  private conflict(stored: string | null | undefined): OutflowError {
    return new OutflowError(
      'state-conflict',
      `state ${this.describe()} was changed by another process since this one read it`,
      {
        hint: 'another outflow run wrote the state meanwhile (was the lock broken with "state unlock --force"?); run the command again',
        meta: { seen: this.seen ?? null, stored: stored ?? null },
      },
    );
  }

  private locked(holder: VersionedText, waited: number): OutflowError {
    const gaveUp = waited > 0 ? ` (gave up after waiting ${Math.round(waited / 1000)} s)` : '';
    const parsed = parseLockInfo(holder.text);
    if (!parsed.ok) {
      return new OutflowError(
        'state-locked',
        `state is locked; the lock ${this.describeLock()} cannot be read${gaveUp}`,
        { hint: 'if no outflow run is working on this state, run "outflow state unlock --force"' },
      );
    }
    return new OutflowError('state-locked', `state is locked by ${describeLock(parsed.info)}${gaveUp}`, {
      hint: `if that run is gone (a cancelled CI job), run "outflow state unlock --force" to remove ${this.describeLock()}`,
      meta: { lock: this.describeLock(), holder: parsed.info },
    });
  }

  private corrupt(problem: string): OutflowError {
    return new OutflowError('lock-corrupt', `state lock ${this.describeLock()} cannot be read: ${problem}`, {
      hint: 'if no outflow run is working on this state, run "outflow state unlock --force"',
      meta: { problem },
    });
  }
}
