import type { Output } from './output.js';

/** What every command gets: parsed global options and where to write. */
export interface CommandContext {
  cwd: string;
  /** -C DIR */
  dir: string | undefined;
  debug: boolean;
  env: NodeJS.ProcessEnv;
  output: Output;
}
