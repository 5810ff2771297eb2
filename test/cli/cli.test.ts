import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const run = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) =>
  execa('node', [bin, ...args], { reject: false, cwd: opts.cwd, env: { NO_COLOR: '1', ...opts.env } });

describe('outflow binary', () => {
  it('init creates a project that validates (exit 0)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'outflow-init-')), 'p');
    const init = await run(['init', dir]);
    expect(init.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'outflow.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=outflow.schema.json\nkind: Project/,
    );
    expect(
      JSON.parse(readFileSync(join(dir, '.vscode', 'settings.json'), 'utf8'))['yaml.schemas'],
    ).toBeDefined();
    const validate = await run(['validate'], { cwd: dir });
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toMatch(/✓ 7 resources in 5 files are valid/);
    expect(validate.exitCode).toBe(0);
    // init never overwrites
    const again = await run(['init', dir]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/error\[already-initialized\]/);
  });

  it('exits 1 on invalid config with file:line:column and no stack trace; --debug adds nothing for user errors', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'outflow-bad-')), 'p');
    await run(['init', dir]);
    writeFileSync(
      join(dir, 'flows', 'broken.yaml'),
      'kind: Export\nname: x\ntype: segment\nfrom: {audience: recent_buyers}\nfields: [email]\ndestination: local_ot\nformat: csv\nmode: full\n',
    );
    const res = await run(['validate'], { cwd: dir });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain(
      'flows/broken.yaml:6:14 error[unknown-reference]: destination "local_ot" is not a Connection',
    );
    expect(res.stderr).toContain('hint: did you mean "local_out"?');
    expect(res.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('prints a user error with its code and hint and no stack trace; --debug adds the stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outflow-noproj-'));
    const res = await run(['validate'], { cwd: dir });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error\[project-not-found\]: no outflow.yaml found/);
    expect(res.stderr).toMatch(/hint: run "outflow init"/);
    expect(res.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const debug = await run(['--debug', 'validate'], { cwd: dir });
    expect(debug.stderr).toMatch(/\bat .*\.js:\d+/);
  });

  it('prints an internal error as one line and a hint; its stack only under --debug', async () => {
    // A real internal error through the real validate path: an installation whose schemas/
    // folder is missing. validate reads the combined schema from the package, so it fails
    // with an fs error no user input can cause or fix.
    const repo = join(import.meta.dirname, '..', '..');
    const install = mkdtempSync(join(tmpdir(), 'outflow-broken-install-'));
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(repo, part), join(install, part), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(install, 'node_modules'));
    const dir = join(mkdtempSync(join(tmpdir(), 'outflow-internal-')), 'p');
    expect((await run(['init', dir])).exitCode).toBe(0);
    const broken = (args: string[]) =>
      execa('node', [join(install, 'bin', 'outflow.js'), ...args], {
        reject: false,
        cwd: dir,
        env: { NO_COLOR: '1' },
      });

    const res = await broken(['validate']);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n')).toEqual([
      `internal error: ENOENT: no such file or directory, open '${join(install, 'schemas', 'outflow.schema.json')}'`,
      '  hint: this is a bug in outflow; rerun with --debug for details and report it',
    ]);
    const debug = await broken(['--debug', 'validate']);
    expect(debug.exitCode).toBe(1);
    const [message, hint, ...stack] = debug.stderr.split('\n');
    expect([message, hint]).toEqual(res.stderr.split('\n'));
    expect(stack[0]).toMatch(/^Error: ENOENT/);
    expect(stack.slice(1).join('\n')).toMatch(
      /^\s+at .+ \(?file:\/\/.+\/dist\/schema\/ajv-instance\.js:\d+:\d+\)?$/m,
    );
  });

  it('has --help on every command and --version', async () => {
    for (const cmd of [[], ['init'], ['validate'], ['schema']]) {
      const res = await run([...cmd, '--help']);
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toMatch(/Usage: outflow/);
    }
    const version = await run(['--version']);
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version,
    );
    const unknown = await run(['frobnicate']);
    expect(unknown.exitCode).toBe(1);
  });

  it('uses colour only when forced on a terminal, never with NO_COLOR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outflow-color-'));
    writeFileSync(join(dir, 'outflow.yaml'), 'kind: Projct\nname: p\n');
    const plain = await run(['validate'], { cwd: dir });
    expect(plain.stderr).not.toContain('\u001b[');
    const forced = await run(['validate'], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(forced.stderr).toContain('\u001b[');
  });

  it('schema prints the combined schema, and --format json gives stable codes', async () => {
    const schema = await run(['schema']);
    expect(JSON.parse(schema.stdout).$id).toBe('https://outflow.dev/schemas/outflow.schema.json');
    const dir = mkdtempSync(join(tmpdir(), 'outflow-json-'));
    writeFileSync(join(dir, 'outflow.yaml'), 'kind: Project\nname: p\nsampleRows: lots\n');
    const res = await run(['validate', '--format', 'json'], { cwd: dir });
    expect(res.exitCode).toBe(1);
    const body = JSON.parse(res.stdout);
    expect(body).toMatchObject({
      valid: false,
      errors: 1,
      diagnostics: [{ code: 'wrong-type', file: 'outflow.yaml', line: 3, column: 13 }],
    });
  });
});
