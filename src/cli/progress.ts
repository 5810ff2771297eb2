import type { ApplyProgress, TransferProgress } from '../apply/index.js';
import { formatBytes } from '../render/index.js';
import type { Output } from './output.js';

/** `12.0 MB in 3.1 s (3.9 MB/s)`. */
function throughput(t: TransferProgress, ms: number): string {
  const seconds = Math.max(ms, 1) / 1000;
  return `${formatBytes(t.bytes)} in ${seconds.toFixed(1)} s (${formatBytes(Math.round(t.bytes / seconds))}/s)`;
}

/** Plain lines, one per finished item: what CI logs and tests read. */
export function lineProgress(output: Output): ApplyProgress {
  return {
    start: () => {},
    succeed: (item, detail) => output.out(`✓ ${item}${detail === undefined ? '' : `: ${detail}`}`),
    fail: (item, message) => output.out(`✗ ${item}: ${message}`),
    warn: (text) => output.out(`! ${text}`),
    // One plain line per file once it is sent: deterministic for CI logs, with its throughput.
    transfer: (t) => {
      if (t.bytes === t.total)
        output.out(`  ${t.direction === 'up' ? '↑' : '↓'} ${t.file}: ${throughput(t, t.ms)}`);
    },
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
    // What the running item is doing (a sync's batches): the spinner's text only.
    detail: (item, text) => {
      spinner.text = `${item} … ${text}`;
    },
    // The spinner's text follows the bytes of the file being sent or received.
    transfer: (t) => {
      const arrow = t.direction === 'up' ? '↑' : '↓';
      spinner.text = `${t.item} … ${arrow} ${t.file}: ${formatBytes(t.bytes)} of ${formatBytes(t.total)}${t.ms > 0 ? `, ${formatBytes(Math.round((t.bytes * 1000) / t.ms))}/s` : ''}`;
    },
  };
}
