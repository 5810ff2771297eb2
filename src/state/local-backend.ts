import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OutflowError } from '../diagnostics/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { STATE_FORMAT_VERSION } from './document.js';
import type { StateBackend, StateDocument } from './types.js';
import { checkStateDocument } from './validate.js';

export interface LocalStateBackendOptions {
  /** Directory a relative `path` is resolved against; defaults to the working directory. */
  root?: string;
}

/** A stored state document as read: absent, parsed, or unusable (with the error code to raise). */
export type ReadOutcome =
  | { kind: 'missing' }
  | { kind: 'ok'; doc: StateDocument }
  | { kind: 'bad'; code: 'state-corrupt' | 'state-too-new' | 'state-unreadable'; problem: string };

/** State in a JSON file, replaced atomically on every write, with the previous version kept at `<path>.backup`. */
export class LocalStateBackend implements StateBackend {
  /** Absolute path of the state file. */
  readonly file: string;
  /** Absolute path of the previous version. */
  readonly backupFile: string;
  private readonly shown: string;

  constructor(path: string, options: LocalStateBackendOptions = {}) {
    this.shown = path;
    this.file = resolve(options.root ?? process.cwd(), path);
    this.backupFile = `${this.file}.backup`;
  }

  describe(): string {
    return this.shown;
  }

  async read(): Promise<StateDocument | undefined> {
    const outcome = await readStateFile(this.file);
    if (outcome.kind === 'missing') return undefined;
    if (outcome.kind === 'ok') return outcome.doc;
    throw await this.unreadable(outcome.code, outcome.problem);
  }

  async write(doc: StateDocument): Promise<void> {
    const check = checkStateDocument(doc);
    if (!check.ok) {
      throw new OutflowError(
        'state-invalid',
        `refusing to write an invalid state to ${this.shown}: ${check.problems.join('; ')}`,
        {
          hint: 'this is a bug in outflow; rerun with --debug and report it',
          meta: { path: this.file, problems: check.problems },
        },
      );
    }
    const current = await this.read();
    if (current !== undefined) assertMovesForward(this.shown, current, doc);
    await writeFileAtomic(this.file, `${JSON.stringify(doc, null, 2)}\n`, {
      backupPath: this.backupFile,
      crashPoint: 'state.before-rename',
    });
  }

  private async unreadable(code: string, problem: string): Promise<OutflowError> {
    const message =
      code === 'state-too-new'
        ? `state file ${this.shown} was written by a newer outflow: ${problem}`
        : `state file ${this.shown} ${code === 'state-corrupt' ? 'is corrupt' : 'cannot be read'}: ${problem}`;
    return new OutflowError(code, message, {
      hint: code === 'state-too-new' ? 'upgrade outflow to read this state' : await this.restoreHint(),
      meta: { path: this.file, backupPath: this.backupFile, problem },
    });
  }

  private async restoreHint(): Promise<string> {
    const backupShown = `${this.shown}.backup`;
    const backup = await readStateFile(this.backupFile);
    if (backup.kind === 'ok') {
      return (
        `the previous version (serial ${backup.doc.serial}) is at ${backupShown}; ` +
        `restore it with: cp "${backupShown}" "${this.shown}"`
      );
    }
    const why =
      backup.kind === 'missing'
        ? `no previous version at ${backupShown}`
        : `${backupShown} is not usable either`;
    return (
      `${why}; the previous version would be at ${backupShown} (restore with: cp "${backupShown}" "${this.shown}"). ` +
      `Otherwise fix ${this.shown} by hand, or move it away to start from empty state (every resource is then created again)`
    );
  }
}

// A write must carry the stored lineage and a higher serial: anything else means another process
// (or a restored backup) changed the state since this one read it.
export function assertMovesForward(shown: string, current: StateDocument, next: StateDocument): void {
  if (current.lineage !== next.lineage) {
    throw new OutflowError(
      'state-conflict',
      `state file ${shown} belongs to a different lineage (stored ${current.lineage}, writing ${next.lineage})`,
      {
        hint: 'the state was replaced or re-created since it was read; run the command again',
        meta: { storedLineage: current.lineage, lineage: next.lineage },
      },
    );
  }
  if (current.serial >= next.serial) {
    throw new OutflowError(
      'state-conflict',
      `state file ${shown} has moved on: it is at serial ${current.serial}, this write is serial ${next.serial}`,
      {
        hint: 'another outflow process wrote the state since this one read it; run the command again (plan again if you applied a saved plan)',
        meta: { storedSerial: current.serial, serial: next.serial },
      },
    );
  }
}

async function readStateFile(file: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', code: 'state-unreadable', problem: (error as Error).message };
  }
  return parseStateText(text);
}

/** Parses and checks the text of a stored state document (file or object). */
export function parseStateText(text: string): ReadOutcome {
  if (text.trim() === '') return { kind: 'bad', code: 'state-corrupt', problem: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'bad', code: 'state-corrupt', problem: `not valid JSON (${(error as Error).message})` };
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > STATE_FORMAT_VERSION) {
    return {
      kind: 'bad',
      code: 'state-too-new',
      problem: `formatVersion ${version}, this outflow reads ${STATE_FORMAT_VERSION}`,
    };
  }
  const check = checkStateDocument(value);
  if (!check.ok) return { kind: 'bad', code: 'state-corrupt', problem: check.problems.join('; ') };
  return { kind: 'ok', doc: check.doc };
}
