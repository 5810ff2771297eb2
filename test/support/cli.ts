import { main } from '../../src/cli/main.js';
import { memoryOutput } from '../../src/cli/output.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (same error boundary and exit codes as the binary), capturing output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const output = memoryOutput(false);
  const code = await main(
    ['node', 'outflow', ...args],
    output,
    { ...options.env, NO_COLOR: '1' },
    options.cwd ?? process.cwd(),
  );
  return { code, stdout: output.stdout.join('\n'), stderr: output.stderr.join('\n') };
}
