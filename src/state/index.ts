// State: what was applied and run, stored atomically with a serial and a lineage, behind one lock.
export { type AtomicWriteOptions, syncDirectory, syncFile, writeFileAtomic } from './atomic-write.js';
export { address, emptyState, nextRevision, parseAddress, STATE_FORMAT_VERSION } from './document.js';
export { LocalStateBackend, type LocalStateBackendOptions } from './local-backend.js';
export {
  type AcquireLockOptions,
  acquireLock,
  readLock,
  type StateLock,
  type UnlockResult,
  unlock,
} from './lock.js';
export { describeLock, formatAge, isProcessAlive, type LockInfo } from './lock-info.js';
export type { ConditionalObjects, VersionedText } from './remote-store.js';
export { LocalStateStore, type StateStore } from './store.js';
export type {
  ActivationSnapshot,
  AudienceSync,
  ConnectionCheck,
  ExportRun,
  ExportRunFile,
  ExportRunStatus,
  IngestedFile,
  PendingRun,
  PendingSync,
  ResourceAddress,
  ResourceData,
  ResourceState,
  RunError,
  ScheduleAnchor,
  StateBackend,
  StateDocument,
  SyncMark,
  WarehouseSegment,
  WarehouseSegments,
  Watermark,
} from './types.js';
export { checkStateDocument } from './validate.js';
