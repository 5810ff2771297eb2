import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isEditorTempFile } from '../../src/watch/index.js';
import { makeProject } from '../support/project.js';

// Spawns the built binary (npm test builds first), as a user would run it.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const fixture = join(import.meta.dirname, '..', 'fixtures', 'plan-base-changes', 'head');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts `outflow watch` and collects its stdout; `until(text)` waits for text after `from`. */
function startWatch(dir: string) {
  const child = spawn(process.execPath, [bin, '-C', dir, 'watch', '--now', '2026-11-20T12:00:00Z'], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.push(child);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const until = (text: string, from = 0, ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const at = stdout.indexOf(text, from);
        const eol = at === -1 ? -1 : stdout.indexOf('\n', at);
        if (eol !== -1) return resolve(stdout.slice(from, eol));
        if (Date.now() - started > ms || child.exitCode !== null)
          return reject(new Error(`no "${text}" in watch output:\n${stdout}`));
        setTimeout(poll, 10);
      };
      poll();
    });
  return { child, until, length: () => stdout.length };
}

describe('outflow watch', () => {
  it('re-plans on save, survives a broken file, and shows the change since the last good config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outflow-watch-'));
    dirs.push(dir);
    cpSync(fixture, dir, { recursive: true });
    const w = startWatch(dir);
    const initial = await w.until('✓ valid');
    expect(initial).toContain('+ Export/fr_weekly');

    const file = join(dir, 'flows', 'connections.yaml');
    let from = w.length();
    writeFileSync(file, 'kind: Connection\nname: local_out\ntype: [local\n');
    const broken = await w.until('✗ invalid', from);
    expect(broken).toContain('flows/connections.yaml changed');
    expect(broken).toContain('flows/connections.yaml:4:1 error[yaml-syntax]');
    expect(broken).toContain('(the last good config is kept)');

    // Editor temp files are ignored; the fix is planned against the last good config.
    writeFileSync(join(dir, 'flows', '.connections.yaml.swp'), 'junk');
    from = w.length();
    writeFileSync(file, 'kind: Connection\nname: local_out\ntype: local\nroot: out2\n');
    const fixed = await w.until('✓ valid', from);
    expect(fixed).toContain('Since the last good config:');
    expect(fixed).toContain('~ root: out → out2');
    expect(fixed).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete');
    expect(fixed).not.toContain('.swp');

    // A new file in a new folder under flows/ is picked up; removing it is a delete since the last good config.
    from = w.length();
    mkdirSync(join(dir, 'flows', 'more'));
    writeFileSync(
      join(dir, 'flows', 'more', 'extra.yaml'),
      'kind: Connection\nname: other\ntype: local\nroot: o\n',
    );
    const added = await w.until('✓ valid', from);
    expect(added).toContain('flows/more/extra.yaml changed');
    expect(added).toContain('+ Connection/other');
    from = w.length();
    rmSync(join(dir, 'flows', 'more', 'extra.yaml'));
    const removed = await w.until('✓ valid', from);
    expect(removed).toContain('- Connection/other');

    w.child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => w.child.once('exit', resolve));
    expect(code).toBe(0);
  }, 30_000);

  it('recognises editor temp files', () => {
    for (const name of ['.a.yaml.swp', 'a.yaml~', '4913', 'a.yaml.tmp', 'a.yaml___jb_tmp___', '.#a.yaml'])
      expect(isEditorTempFile(`flows/${name}`)).toBe(true);
    expect(isEditorTempFile('flows/a.yaml')).toBe(false);
  });
});

describe('outflow watch --draft', () => {
  it('runs a draft after a good config: files under _draft/, no state written', async () => {
    const { watchCommand } = await import('../../src/cli/commands/watch.js');
    const { memoryOutput } = await import('../../src/cli/output.js');
    const { existsSync } = await import('node:fs');
    // The init template: local stream files and a local destination (no store credentials needed).
    const dir = makeProject('outflow-watch-draft-');
    dirs.push(dir);
    const output = memoryOutput(false);
    const stop = new AbortController();
    const done = watchCommand(
      { cwd: dir, dir: undefined, debug: false, env: { NO_COLOR: '1' }, output },
      { draft: true, now: '2026-11-20T12:00:00Z' },
      stop.signal,
    );
    const started = Date.now();
    while (!output.stdout.some((l) => l.includes('Apply complete')) && Date.now() - started < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    expect(await done).toBe(0);
    const text = output.stdout.join('\n');
    expect(text).toContain('Draft run (sampleRows rows into _draft/; state untouched):');
    expect(text).toContain('Apply complete (draft: state untouched, files under _draft/)');
    // The draft does not repeat the plan it just printed.
    expect(text.match(/outflow plan at/g)).toHaveLength(1);
    expect(existsSync(join(dir, '.outflow', 'state.json'))).toBe(false);
    expect(existsSync(join(dir, 'out', '_draft'))).toBe(true);
  }, 40_000);
});
