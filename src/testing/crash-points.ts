// Node builtins only: src/state uses this, and the state crash test runs src/state in a child process.
import { writeSync } from 'node:fs';

/**
 * Every place a test can make outflow kill itself (SIGKILL) to prove that a crash at that exact
 * moment is recovered from (invariants 3 and 4). A closed list, so a test can check it covers
 * them all.
 */
export const CRASH_POINTS = [
  /** Warehouse creation: the temporary database file exists, not yet checkpointed or renamed. */
  'warehouse.temp-created',
  /** Warehouse creation: the temporary database is closed and synced, not yet renamed into place. */
  'warehouse.before-rename',
  /** The warehouse is open read-write (created or existing), before any SQL runs. */
  'warehouse.opened',
  /** An ingest's rows are written in its transaction, not yet committed. */
  'ingest.before-commit',
  /** An ingest's CSV/JSON rows are committed unnumbered (`_seq` NULL), not yet numbered. */
  'ingest.unnumbered-committed',
  /** An ingest is committed in the warehouse, not yet recorded in state. */
  'ingest.committed',
  /** Remote state: an ingest's warehouse segment is uploaded (and marked loaded), the ingest not yet recorded in state. */
  'segment.uploaded',
  /** Remote state: a rebuild loaded a segment into the warehouse, its transaction not committed. */
  'segment.loaded',
  /** An export run is recorded as pending in state, nothing of it published yet. */
  'export.pending-saved',
  /** Half of a data file's bytes are sent to the store (an upload interrupted half-way). */
  'publish.mid-upload',
  /** One data file of a run is published (the manifest is not). */
  'publish.file',
  /** A run's manifest is published, the run not yet recorded in state. */
  'publish.manifest',
  /** An activation sync's batches are frozen in the warehouse, none sent yet. */
  'activation.frozen',
  /** A batch of an activation sync was accepted by the receiver and recorded in the warehouse. */
  'activation.batch-delivered',
  /** Remote state: a finished sync's activation snapshot is uploaded (and marked loaded), the sync not yet recorded in state. */
  'activation.snapshot-uploaded',
  /** A state write's temp file is written and synced, not yet renamed over the state. */
  'state.before-rename',
  /** Remote state: the store accepted a new state.json; the command has not gone on. */
  'state.remote-written',
  /** Remote state: the command is done and about to remove its lock. */
  'lock.releasing',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

interface CrashTarget {
  name: string;
  hit: number;
}

// Read once: with OUTFLOW_CRASH_AT unset, crashPoint is one comparison.
const target = parseCrashTarget(process.env.OUTFLOW_CRASH_AT);
let hits = 0;

/**
 * A test hook: when OUTFLOW_CRASH_AT is `name` (its first hit) or `name:N` (its Nth hit, from 1),
 * prints `crash point <name>#<n>` to stderr and kills this process with SIGKILL, as a power cut
 * or `kill -9` would. Does nothing otherwise.
 */
export function crashPoint(name: CrashPoint): void {
  if (target === undefined || name !== target.name) return;
  hits += 1;
  if (hits !== target.hit) return;
  writeSync(2, `crash point ${name}#${hits}\n`);
  process.kill(process.pid, 'SIGKILL');
}

function parseCrashTarget(value: string | undefined): CrashTarget | undefined {
  if (value === undefined || value === '') return undefined;
  const match = /^(.+):(\d+)$/.exec(value);
  const crashTarget = match === null ? { name: value, hit: 1 } : { name: match[1]!, hit: Number(match[2]) };
  // A typo would otherwise make a crash test pass without crashing anything.
  if (!(CRASH_POINTS as readonly string[]).includes(crashTarget.name) || crashTarget.hit < 1) {
    writeSync(2, `outflow: OUTFLOW_CRASH_AT=${value} names no crash point (${CRASH_POINTS.join(', ')})\n`);
  }
  return crashTarget;
}
