import type { ApplyResult } from '../apply/index.js';
import { errorToText } from '../diagnostics/index.js';

/**
 * The closing lines of apply and run: how many items were done and, when any failed, each
 * failed item with its error (code, message, hint) and each item skipped because of it.
 */
export function applyReport(
  result: ApplyResult,
  verb: 'Apply' | 'Run',
  note = '',
): { out?: string; err?: string } {
  const done = result.items.filter((i) => i.status === 'succeeded').length;
  const counts = `${done} of ${result.items.length} items done`;
  if (result.error === undefined) return { out: `\n${verb} complete${note}: ${counts}.` };
  const lines = result.items.flatMap((i) => {
    if (i.status === 'failed') return [`  ✗ ${i.item}`, ...indent(errorToText(i.error), '    ')];
    if (i.status === 'skipped') return [`  · ${i.item}: ${i.detail ?? 'skipped'}`];
    return [];
  });
  const failed = result.items.filter((i) => i.status === 'failed').length;
  return {
    err: `\n${verb} finished with ${failed === 1 ? '1 failure' : `${failed} failures`}: ${counts} (saved in state); not done:\n${lines.join('\n')}`,
  };
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((l) => prefix + l);
}
