import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'plan-update');

describe('outflow graph', () => {
  it('prints one line per resource with what it depends on (text, the default)', async () => {
    const res = await runCli(['-C', fixture, 'graph']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        'Project/fixture',
        'Connection/local_out',
        'Dataflow/users',
        'Audience/fr_customers  depends on Dataflow/users',
        'Export/fr_daily        depends on Audience/fr_customers, Connection/local_out',
      ].join('\n'),
    );
    expect((await runCli(['-C', fixture, 'graph', '--format', 'text'])).stdout).toBe(res.stdout);
  });

  it('prints a Mermaid flowchart and Graphviz dot', async () => {
    const mermaid = await runCli(['-C', fixture, 'graph', '--format', 'mermaid']);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout.split('\n')).toEqual([
      'flowchart LR',
      '  Project_fixture["Project/fixture"]',
      '  Connection_local_out["Connection/local_out"]',
      '  Dataflow_users["Dataflow/users"]',
      '  Audience_fr_customers["Audience/fr_customers"]',
      '  Export_fr_daily["Export/fr_daily"]',
      '  Dataflow_users --> Audience_fr_customers',
      '  Audience_fr_customers --> Export_fr_daily',
      '  Connection_local_out --> Export_fr_daily',
    ]);
    const dot = await runCli(['-C', fixture, 'graph', '--format', 'dot']);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph outflow \{\n {2}rankdir=LR;\n/);
    expect(dot.stdout).toContain('  "Dataflow/users" -> "Audience/fr_customers";');
    expect(dot.stdout).toContain('  "Connection/local_out" -> "Export/fr_daily";');
    expect(dot.stdout.endsWith('}')).toBe(true);
  });

  it('refuses an unknown format and an invalid config (exit 1), and has --help', async () => {
    const bad = await runCli(['-C', fixture, 'graph', '--format', 'svg']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/argument 'svg' is invalid/);
    const dir = join(mkdtempSync(join(tmpdir(), 'outflow-graph-')), 'p');
    cpSync(fixture, dir, { recursive: true });
    writeFileSync(join(dir, 'flows', 'broken.yaml'), 'kind: Export\nname: x\n');
    const invalid = await runCli(['-C', dir, 'graph']);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toMatch(/✗ no graph: \d+ errors?/);
    const help = await runCli(['graph', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--format <format>');
    expect(help.stdout).toContain('"mermaid"');
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/graph \[options\]\s+show what each resource references/);
  });
});
