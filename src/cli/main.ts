import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { errorToEnvelope, errorToText } from '../diagnostics/index.js';
import type { ApplyOptions } from './commands/apply.js';
import type { GraphOptions } from './commands/graph.js';
import type { InspectOptions } from './commands/inspect.js';
import type { PlanOptions } from './commands/plan.js';
import type { PreviewOptions } from './commands/preview.js';
import type { RunOptions } from './commands/run.js';
import type { StatusOptions } from './commands/status.js';
import type { WatchOptions } from './commands/watch.js';
import type { CommandContext } from './context.js';
import { type Output, processOutput } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
export const VERSION = pkg.version;

// Each command's module is imported when that command runs: `validate` never loads the state,
// apply or engine modules (nor what they import), which is most of a cold start.
type Action = (ctx: CommandContext, ...args: unknown[]) => Promise<number>;

function buildProgram(
  run: (action: Action, args: unknown[], cmd: Command) => Promise<void>,
  output: Output,
): Command {
  const program = new Command('outflow')
    // Set before any subcommand is added: subcommands inherit both (commander copies settings on creation).
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output.out(s.replace(/\n$/, '')),
      writeErr: (s) => output.err(s.replace(/\n$/, '')),
    })
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
    .action(
      wrap(async (ctx, dir) =>
        (await import('./commands/init.js')).initCommand(ctx, dir as string | undefined),
      ),
    );

  program
    .command('validate')
    .description('check every YAML file against the schemas and rules; exit 0 when valid, 1 when not')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/validate.js')).validateCommand(ctx, opts as { format: 'text' | 'json' }),
      ),
    );

  program
    .command('plan')
    .description('show what apply would do: resource changes, breaking changes and due data actions')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .option('--out <file>', 'also save the plan as JSON, for "outflow apply FILE"')
    .option('--detailed-exitcode', 'exit 0 when there is nothing to do, 2 when there are changes, 1 on error')
    .option('--target <address>', 'only this resource, KIND/NAME (repeatable)', collect, [])
    .option('--exclude <address>', 'leave this resource out, KIND/NAME (repeatable)', collect, [])
    .option('--now <iso>', 'plan for this time instead of the clock (for reproducible plans)')
    .option(
      '--base <ref>',
      'plan the change from the config at this git ref (e.g. origin/main) to the work tree',
    )
    .option('--no-data', 'skip the data impact (audience sizes, rows to send) computed on the warehouse')
    .addOption(
      new Option('--fail-on <what>', 'exit 1 when the plan has breaking changes').choices(['breaking']),
    )
    .action(
      wrap(async (ctx, opts) => (await import('./commands/plan.js')).planCommand(ctx, opts as PlanOptions)),
    );

  program
    .command('apply')
    .description('make it so: ingest new stream files, run due exports, publish files with a manifest')
    .argument('[planfile]', 'a plan saved with "outflow plan --out FILE" (applied as is, without asking)')
    .option('--auto-approve', 'do not ask for confirmation (required when not on a terminal)')
    .option('--target <address>', 'only this resource, KIND/NAME (repeatable)', collect, [])
    .option('--now <iso>', 'apply as of this time instead of the clock (schedules, audience windows)')
    .option('--draft', 'run on sampleRows rows into a _draft/ prefix, in memory; state is untouched')
    .action(
      wrap(async (ctx, planfile, opts) =>
        (await import('./commands/apply.js')).applyCommand(
          ctx,
          planfile as string | undefined,
          opts as ApplyOptions,
        ),
      ),
    );

  program
    .command('preview')
    .description('preview data without changing anything')
    .command('audience')
    .description('member count and a sample of an audience, computed on the warehouse (read-only)')
    .argument('<name>', 'the Audience')
    .option('--now <iso>', 'evaluate the audience windows at this time instead of the clock')
    .option('--sample <n>', 'how many members to show (default 10)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      wrap(async (ctx, name, opts) =>
        (await import('./commands/preview.js')).previewAudienceCommand(
          ctx,
          name as string,
          opts as PreviewOptions,
        ),
      ),
    );

  program
    .command('inspect')
    .description("a stream file's format, columns with DuckDB's types, nulls, row count and first rows")
    .argument(
      '<file>',
      'a local path (from here or the project root), or CONNECTION:KEY for a file in a Connection',
    )
    .option('--yaml', "print a schema.columns block to paste into a Dataflow's schema")
    .option('--rows <n>', 'how many rows to show (default 5)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      wrap(async (ctx, file, opts) =>
        (await import('./commands/inspect.js')).inspectCommand(ctx, file as string, opts as InspectOptions),
      ),
    );

  program
    .command('run')
    .description('run the due (or named) exports of the applied config: ingest what they read, then publish')
    .argument('[names...]', 'exports or activations to run now, due or not (default: the due ones)')
    .option('--due', 'also run everything that is due (the default when no names are given)')
    .option('--now <iso>', 'run as of this time instead of the clock (schedules, windows)')
    .option('--wait <duration>', 'wait this long for the state lock (30s, 2m) instead of failing at once')
    .option('--force', 'run named exports even when they are disabled (enabled: false)')
    .action(
      wrap(async (ctx, names, opts) =>
        (await import('./commands/run.js')).runCommand(ctx, names as string[], opts as RunOptions),
      ),
    );

  program
    .command('status')
    .description('one row per export and activation: schedule, enabled, last run, next due')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--now <iso>', 'compute "next due" as of this time instead of the clock')
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/status.js')).statusCommand(ctx, opts as StatusOptions),
      ),
    );

  program
    .command('runs')
    .description("an export's run history with the manifest of each run")
    .argument('<name>', 'the Export')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      wrap(async (ctx, name, opts) =>
        (await import('./commands/status.js')).runsCommand(ctx, name as string, opts as StatusOptions),
      ),
    );

  const state = program.command('state').description('inspect the stored state and break a stale lock');
  state
    .command('list')
    .description('list the applied resources')
    .action(wrap(async (ctx) => (await import('./commands/state.js')).stateListCommand(ctx)));
  state
    .command('show')
    .description('print what is stored for one resource (secrets redacted)')
    .argument('<address>', 'KIND/NAME, for example Export/buyers_daily')
    .action(
      wrap(async (ctx, address) =>
        (await import('./commands/state.js')).stateShowCommand(ctx, address as string),
      ),
    );
  state
    .command('unlock')
    .description('remove the state lock left by a crashed apply or run, and say whose it was')
    .option('--force', 'remove it even when the holder still seems to be running')
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/state.js')).stateUnlockCommand(ctx, opts as { force?: boolean }),
      ),
    );

  program
    .command('watch')
    .description('re-validate and re-plan on every save of outflow.yaml or flows/**; never applies')
    .option('--draft', 'after each valid change, run a draft apply (sampleRows rows into _draft/)')
    .option('--now <iso>', 'plan for this time instead of the clock')
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/watch.js')).watchCommand(ctx, opts as WatchOptions),
      ),
    );

  program
    .command('schema')
    .description('print the combined JSON Schema (for editor autocompletion)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/schema.js')).schemaCommand(ctx, opts as { out?: string }),
      ),
    );

  const connections = program.command('connections').description('check the connections outflow uses');
  connections
    .command('test')
    .description(
      'a real round trip to each connection (all when none is named): write, read back and delete a probe object; a webhook gets a reachability check that sends no data',
    )
    .argument('[names...]', 'the Connections to test')
    .action(
      wrap(async (ctx, names) =>
        (await import('./commands/connections.js')).connectionsTestCommand(ctx, names as string[]),
      ),
    );

  program
    .command('graph')
    .description('show what each resource references (the graph plan, --target and run use)')
    .addOption(
      new Option('--format <format>', 'text (one line per resource), mermaid or dot (Graphviz)')
        .choices(['text', 'mermaid', 'dot'])
        .default('text'),
    )
    .addHelpText(
      'after',
      '\nEdges point from a resource to what uses it (Dataflow/users --> Audience/buyers).\nRender dot with: outflow graph --format dot | dot -Tsvg > graph.svg',
    )
    .action(
      wrap(async (ctx, opts) =>
        (await import('./commands/graph.js')).graphCommand(ctx, opts as GraphOptions),
      ),
    );

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function printError(err: unknown, output: Output, debug: boolean, json: boolean): void {
  if (json) {
    output.out(JSON.stringify(errorToEnvelope(err), null, 2));
  } else {
    output.err(errorToText(err));
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
  }, output);
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
