import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which batches of an unfinished activation sync the receiver accepted: one line per batch index,
 * written (one write(2), a few microseconds) as soon as the batch is accepted. The kernel keeps
 * what a process wrote when that process is killed, so after a kill -9 a re-run never sends an
 * accepted batch again; only a power cut can lose the last lines, and then those batches are
 * re-sent with their webhook-ids, which receivers de-duplicate. A DuckDB commit per batch costs
 * about 1 ms, an fdatasync 0.2 to 2 ms: too much per batch for a million members. Lives beside
 * the warehouse, in `.outflow/syncs/`, and is removed once the sync is folded into the warehouse.
 */
export class SyncJournal {
  private fd: number | undefined;

  private constructor(
    private readonly file: string,
    /** The batches accepted so far. */
    readonly accepted: Set<number>,
  ) {}

  get delivered(): number {
    return this.accepted.size;
  }

  /** The journal of sync `runId` under `dir`: what it records so far (nothing for a new sync). */
  static open(dir: string, runId: string): SyncJournal {
    const file = join(dir, `${runId}.batches`);
    const accepted = new Set<number>();
    try {
      // Complete lines only: a line cut by a crash mid-write does not count.
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n').slice(0, -1)) {
        const n = Number(line);
        if (Number.isInteger(n) && n > 0) accepted.add(n);
      }
    } catch {
      // No journal yet: nothing accepted.
    }
    return new SyncJournal(file, accepted);
  }

  /** Records that batch `index` was accepted, before returning. */
  record(index: number): void {
    if (this.fd === undefined) {
      mkdirSync(join(this.file, '..'), { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, `${index}\n`);
    this.accepted.add(index);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The sync is folded into the warehouse: the journal has served. */
  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
  }

  /** Journals of syncs the warehouse no longer has (finished, then killed before removing them). */
  static removeStale(dir: string, unfinished: ReadonlySet<string>): void {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names)
      if (name.endsWith('.batches') && !unfinished.has(name.slice(0, -'.batches'.length)))
        rmSync(join(dir, name), { force: true });
  }
}
