import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { errorToEnvelope, OutflowError } from '../diagnostics/index.js';
import { initCommand } from './commands/init.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import type { CommandContext } from './context.js';
import { type Output, processOutput } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
export const VERSION = pkg.version;

type Action = (ctx: CommandContext, ...args: unknown[]) => Promise<number>;

function buildProgram(run: (action: Action, args: unknown[], cmd: Command) => Promise<void>): Command {
  const program = new Command('outflow')
    .description('Customer-data exports as code: validate, plan and apply dataflows, audiences and exports.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('-C, --dir <dir>', 'run in this project folder instead of searching up from the current one')
    .option('--debug', 'show stack traces and internal details')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });

  const wrap =
    (action: Action) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      await run(action, args.slice(0, -1), cmd);
    };

  program
    .command('init')
    .description('create a new project with sample data and editor wiring')
    .argument('[dir]', 'folder to create the project in (default: the current folder)')
    .action(wrap((ctx, dir) => initCommand(ctx, dir as string | undefined)));

  program
    .command('validate')
    .description('check every YAML file against the schemas and rules; exit 0 when valid, 1 when not')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(wrap((ctx, opts) => validateCommand(ctx, opts as { format: 'text' | 'json' })));

  program
    .command('schema')
    .description('print the combined JSON Schema (for editor autocompletion)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action(wrap((ctx, opts) => schemaCommand(ctx, opts as { out?: string })));

  return program;
}

function printError(err: unknown, output: Output, debug: boolean, json: boolean): void {
  if (json) {
    output.out(JSON.stringify(errorToEnvelope(err), null, 2));
  } else if (err instanceof OutflowError) {
    output.err(`error[${err.code}]: ${err.message}${err.hint === undefined ? '' : `\n  hint: ${err.hint}`}`);
  } else {
    const msg = err instanceof Error ? err.message : String(err);
    output.err(
      `internal error: ${msg}\n  hint: this is a bug in outflow; rerun with --debug for details and report it`,
    );
  }
  if (debug && err instanceof Error && err.stack) output.err(err.stack);
}

/** Runs the CLI and returns the exit code; the one error boundary for every command. */
export async function main(
  argv: readonly string[],
  output: Output = processOutput(),
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<number> {
  let code = 0;
  let debug = argv.includes('--debug');
  let json = false;
  const program = buildProgram(async (action, args, cmd) => {
    const globals = cmd.optsWithGlobals() as { dir?: string; debug?: boolean; format?: string };
    debug = globals.debug === true;
    json = globals.format === 'json';
    const ctx: CommandContext = { cwd, dir: globals.dir, debug, env, output };
    code = await action(ctx, ...args);
  });
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => output.out(s.replace(/\n$/, '')),
    writeErr: (s) => output.err(s.replace(/\n$/, '')),
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? 0
        : 1;
    }
    printError(err, output, debug, json);
    return 1;
  }
  return code;
}
