// A kill during the first apply's warehouse creation must leave either no warehouse or a valid one:
// DuckDB's own create is not atomic (killed inside it, it leaves an empty file that every later
// open refuses with "not a valid DuckDB database file"), so outflow creates the warehouse under a
// temporary name and renames it into place (src/project/warehouse-file.ts).
import { existsSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { makeProject as makeInitProject } from '../support/project.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T1 = '2026-11-20T12:00:00Z';
const T2 = '2026-11-20T13:00:00Z';

const makeProject = () => makeInitProject('outflow-warehouse-', { name: 'warehouse' });

const apply = (dir: string, now: string, crashAt?: string) =>
  execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', now], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', ...(crashAt === undefined ? {} : { OUTFLOW_CRASH_AT: crashAt }) },
  });

/** The database files in .outflow (the warehouse, its WAL, temporary databases). */
const databaseFiles = (dir: string) =>
  readdirSync(join(dir, '.outflow'))
    .filter((name) => name.startsWith('warehouse.duckdb'))
    .sort();

/** Kills the first apply at `point`, then checks the next apply opens (or creates) the warehouse. */
async function killThenReapply(point: string, afterKill: (dir: string) => void = () => {}): Promise<string> {
  const dir = makeProject();
  const killed = await apply(dir, T1, point);
  expect(killed.signal, `${point} was not hit:\n${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
  expect(killed.stderr.split('\n')).toContain(`crash point ${point}#1`);
  afterKill(dir);
  const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
  expect(unlock.exitCode, unlock.stderr).toBe(0);
  const again = await apply(dir, T2);
  expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
  expect(again.stdout).toMatch(/ingest Dataflow\/events: \d+ rows/);
  expect(databaseFiles(dir)).toEqual(['warehouse.duckdb']);
  return dir;
}

describe('warehouse creation survives kill -9', () => {
  it('a kill while the new database file is being written leaves no warehouse, and the next apply creates one', {
    timeout: 60_000,
  }, async () => {
    let written: string[] = [];
    const dir = await killThenReapply('warehouse.temp-created', (dir) => {
      // Killed here, DuckDB has just created and written the file. A kill a moment earlier, inside
      // DuckDB's create, leaves it empty: truncating every database file the apply was writing
      // simulates that. Before the fix that file was .outflow/warehouse.duckdb itself, and the
      // next apply failed with "not a valid DuckDB database file".
      written = databaseFiles(dir);
      for (const name of written) truncateSync(join(dir, '.outflow', name), 0);
    });
    expect(written).toEqual([expect.stringMatching(/^warehouse\.duckdb\.creating-\d+$/)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a kill before the rename leaves no warehouse; the leftover is removed', {
    timeout: 60_000,
  }, async () => {
    const dir = await killThenReapply('warehouse.before-rename', (dir) => {
      expect(existsSync(join(dir, '.outflow/warehouse.duckdb'))).toBe(false);
      const [temp] = databaseFiles(dir);
      expect(temp).toMatch(/^warehouse\.duckdb\.creating-\d+$/);
      expect(statSync(join(dir, '.outflow', temp!)).size).toBeGreaterThan(0);
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a kill right after creation leaves a valid warehouse', { timeout: 60_000 }, async () => {
    const dir = await killThenReapply('warehouse.opened', (dir) => {
      expect(databaseFiles(dir)).toEqual(['warehouse.duckdb']);
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
