import type { ApplyProgress } from '../apply/index.js';
import type { Output } from './output.js';

/** Plain lines, one per finished item: what CI logs and tests read. */
export function lineProgress(output: Output): ApplyProgress {
  return {
    start: () => {},
    succeed: (item, detail) => output.out(`✓ ${item}${detail === undefined ? '' : `: ${detail}`}`),
    fail: (item, message) => output.out(`✗ ${item}: ${message}`),
    warn: (text) => output.out(`! ${text}`),
  };
}

/**
 * A spinner for the running item on an interactive terminal (ora), plain lines otherwise
 * (`CI=true`, pipes, `NO_COLOR` keeps the spinner but drops colour).
 */
export async function createProgress(output: Output): Promise<ApplyProgress> {
  // ora measures lines by the terminal's width; a pty that reports no width would make it loop.
  if (!output.interactive || !((process.stdout.columns ?? 0) > 0)) return lineProgress(output);
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stdout, color: 'cyan', isEnabled: true });
  const started = new Map<string, number>();
  const took = (item: string) => `${((Date.now() - (started.get(item) ?? Date.now())) / 1000).toFixed(1)} s`;
  return {
    start: (item) => {
      started.set(item, Date.now());
      spinner.start(`${item} …`);
    },
    succeed: (item, detail) =>
      spinner.succeed(`${item}${detail === undefined ? '' : `: ${detail}`} (${took(item)})`),
    fail: (item, message) => spinner.fail(`${item}: ${message}`),
    warn: (text) => {
      const running = spinner.isSpinning ? spinner.text : undefined;
      spinner.warn(text);
      if (running !== undefined) spinner.start(running);
    },
  };
}
