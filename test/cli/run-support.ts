import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportRun, StateDocument } from '../../src/state/index.js';
import { makeProject as makeInitProject } from '../support/project.js';

/** Extra exports for the simulated week: a daily catch-up-all NDJSON export of every event. */
export const EXTRA_EXPORTS = `---
kind: Export
name: events_daily
type: dataOut
from: {dataflow: events}
destination: local_out
format: ndjson
path: "{export}/{runId}/{export}-{index}.{ext}"
mode: incremental
schedule: {cron: "0 6 * * *", timezone: UTC, catchUp: all}
`;

/** A project laid out as `outflow init` makes it, with `extra` appended to flows/exports.yaml. */
export function makeProject(extra = ''): string {
  return makeInitProject('outflow-run-', {
    name: 'weekly',
    edit: {
      'flows/exports.yaml': (template) => `${template}${extra}`,
      // The week's events come from eventFile(); the sample file would be a second source of rows.
      'data/events/events-001.ndjson': null,
    },
  });
}

let nextUser = 1;

/**
 * Writes `count` events into data/events/NAME.ndjson, each with a user id no other event has, so
 * every exported row can be traced to exactly one generated event. `at` is the event time
 * (old for late events). Returns the user ids written.
 */
export function eventFile(dir: string, name: string, count: number, at: Date): number[] {
  const ids: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextUser++;
    ids.push(id);
    const ts = new Date(at.getTime() - i * 60_000).toISOString();
    lines.push(
      JSON.stringify({
        user_id: id,
        event: i % 3 === 0 ? 'buy' : 'visit',
        ts,
        category: 'Watches',
        price: 10,
      }),
    );
  }
  mkdirSync(join(dir, 'data', 'events'), { recursive: true });
  writeFileSync(join(dir, 'data', 'events', `${name}.ndjson`), `${lines.join('\n')}\n`);
  return ids;
}

function manifests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? manifests(join(dir, e.name))
      : e.name.startsWith('_manifest-')
        ? [join(dir, e.name)]
        : [],
  );
}

/** The user id of every row of every file listed by a manifest of `exportName` (CSV or NDJSON). */
export function publishedUserIds(dir: string, exportName: string): { ids: number[]; manifests: number } {
  const found = manifests(join(dir, 'out', exportName));
  const ids: number[] = [];
  for (const path of found) {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { files: { name: string; rows: number }[] };
    for (const file of manifest.files) {
      const text = readFileSync(join(dir, 'out', file.name), 'utf8').trimEnd();
      if (file.name.endsWith('.ndjson')) {
        const rows = text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as { userid: number });
        ids.push(...rows.map((r) => Number(r.userid)));
      } else {
        const [header = '', ...lines] = text.split('\n');
        const col = header.split(',').indexOf('userid');
        ids.push(...lines.map((l) => Number(l.split(',')[col])));
      }
    }
  }
  return { ids: ids.sort((a, b) => a - b), manifests: found.length };
}

export function readState(dir: string): StateDocument {
  return JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8')) as StateDocument;
}

export function runsOf(dir: string, exportName: string): ExportRun[] {
  return readState(dir).resources[`Export/${exportName}`]?.data?.runs ?? [];
}
