import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleEventsNdjson } from '../../src/cli/init-template.js';
import { runCli } from '../support/cli.js';
import { makeProject as makeInitProject } from '../support/project.js';
import { localPublishedFiles } from '../support/published.js';

// Stream files read from a Connection's store (`source: {connection, prefix, path}`), here a
// `local` connection: the generic path every store shares (list, download into staging, ingest
// once by name, size, version and content hash). test/destinations/* run it against real stores.
const NOW = '2026-11-20T12:00:00Z';
const LATER = '2026-11-20T18:00:00Z';
const LATEST = '2026-11-21T06:00:00Z';

function makeProject(): string {
  // The events arrive in a drop folder that a Connection names, not under data/.
  const dir = makeInitProject('outflow-streams-', {
    edit: {
      'flows/connections.yaml': (template) =>
        `${template}---\nkind: Connection\nname: drop\ntype: local\nroot: inbox\n`,
      'flows/dataflows.yaml': (template) =>
        template.replace(
          '  path: data/events/*.ndjson',
          '  connection: drop\n  prefix: incoming/events/\n  path: "*.ndjson"',
        ),
    },
  });
  mkdirSync(join(dir, 'inbox', 'incoming', 'events'), { recursive: true });
  renameSync(
    join(dir, 'data', 'events', 'events-001.ndjson'),
    join(dir, 'inbox', 'incoming', 'events', 'events-001.ndjson'),
  );
  return dir;
}

/** Data rows of every file the events export published (manifests say which), header lines left out. */
function publishedEventRows(dir: string): string[] {
  return localPublishedFiles(dir, 'events_out')
    .flatMap((f) => f.lines)
    .sort();
}

describe('stream files from a connection', () => {
  it('plans, downloads and ingests them once; an unchanged re-delivery is not ingested again', async () => {
    const dir = makeProject();
    const plan = await runCli(['-C', dir, 'plan', '--now', NOW, '--format', 'json', '--no-data']);
    expect(plan.code, plan.stderr).toBe(0);
    const ingest = JSON.parse(plan.stdout).dataActions.find(
      (a: { address: string }) => a.address === 'Dataflow/events',
    );
    expect(ingest.files).toEqual([
      expect.objectContaining({
        path: 'drop:incoming/events/events-001.ndjson',
        connection: 'drop',
        key: 'incoming/events/events-001.ndjson',
      }),
    ]);

    const first = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    // Reading from the connection counts as reaching it (the plan stops warning about it).
    const reachedState = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(reachedState.resources['Connection/drop'].data.check.reachedAt).toBeDefined();
    const rows = publishedEventRows(dir);
    expect(rows.length).toBeGreaterThan(0);
    expect(existsSync(join(dir, '.outflow', 'staging', 'streams', 'events'))).toBe(false); // downloads removed

    // The same file delivered again (new mtime, same bytes): looked at, recorded, not ingested again.
    const f = join(dir, 'inbox', 'incoming', 'events', 'events-001.ndjson');
    utimesSync(f, new Date('2026-11-20T15:00:00Z'), new Date('2026-11-20T15:00:00Z'));
    const again = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', LATER]);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toMatch(/1 file re-delivered unchanged, not ingested again/);
    expect(publishedEventRows(dir)).toEqual(rows);

    // A new file is ingested and exported once, beside the first.
    writeFileSync(
      join(dir, 'inbox', 'incoming', 'events', 'events-002.ndjson'),
      sampleEventsNdjson(7, Date.UTC(2026, 10, 20, 16)),
    );
    writeFileSync(join(dir, 'inbox', 'incoming', 'events', 'notes.txt'), 'not matched by *.ndjson\n');
    const third = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', LATEST]);
    expect(third.code, `${third.stdout}\n${third.stderr}`).toBe(0);
    expect(third.stdout).toMatch(/ingest Dataflow\/events.*7 rows from 1 file/);
    expect(publishedEventRows(dir).length).toBe(rows.length + 7);
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    const ingested = state.resources['Dataflow/events'].data.ingestedFiles as {
      path: string;
      rows: number;
    }[];
    expect(ingested.map((i) => [i.path, i.rows > 0])).toEqual([
      ['drop:incoming/events/events-001.ndjson', true],
      ['drop:incoming/events/events-001.ndjson', false],
      ['drop:incoming/events/events-002.ndjson', true],
    ]);
  });
});

describe('a stream-file store that cannot be listed', () => {
  it('is a warning in the plan (a PR plan without credentials still works) and an error for apply', async () => {
    const dir = makeProject();
    // The drop folder is a file: listing it fails (as a store without credentials would).
    rmSync(join(dir, 'inbox'), { recursive: true });
    writeFileSync(join(dir, 'inbox'), 'not a folder\n');
    const plan = await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /warning\[stream-files-unlisted\]: Dataflow\/events: the stream files in connection "drop" \(local\) could not be listed, so this plan shows no ingest for it/,
    );
    const json = JSON.parse(
      (await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data', '--format', 'json'])).stdout,
    );
    expect(json.warnings[0]).toMatchObject({
      code: 'stream-files-unlisted',
      address: 'Dataflow/events',
      connection: 'drop',
    });
    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(apply.code).toBe(1);
    expect(existsSync(join(dir, '.outflow', 'state.json'))).toBe(false);
  });
});
