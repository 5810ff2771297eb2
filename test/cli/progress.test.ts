import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');

describe('apply progress', () => {
  it('shows a spinner per item on a terminal, and plain lines when piped', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'outflow-tty-')), 'p');
    await execa('node', [bin, 'init', dir]);
    // util-linux `script` gives the command a real pseudo-terminal.
    const cmd = `stty cols 120 rows 40; node ${bin} -C ${dir} apply --auto-approve --now 2026-11-20T12:00:00Z`;
    const tty = await execa('script', ['-qec', cmd, '/dev/null'], {
      reject: false,
      env: { CI: '', NO_COLOR: '1' },
      timeout: 120_000,
    });
    expect(tty.exitCode).toBe(0);
    expect(tty.stdout).toContain('\u001b[?25l'); // the spinner hides the cursor while it runs
    expect(tty.stdout).toMatch(/✔ ingest Dataflow\/events: 400 rows from 1 file \(\d+\.\d s\)/);
    writeFileSync(
      join(dir, 'data', 'events', 'events-002.ndjson'),
      '{"user_id": 1, "event": "buy", "ts": "2026-11-19T10:00:00Z", "category": "Books", "price": 5}\n',
    );
    const piped = await execa(
      'node',
      [bin, '-C', dir, 'apply', '--auto-approve', '--now', '2026-11-20T13:00:00Z'],
      { env: { CI: 'true' } },
    );
    expect(piped.stdout).toMatch(/^✓ ingest Dataflow\/events: 1 row from 1 file$/m);
    expect(piped.stdout).not.toContain('\u001b[');
  });
});
