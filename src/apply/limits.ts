import type { Engine } from '../engine/index.js';
import type { Model, ResolvedExport } from '../model/index.js';
import type { ExportRunAction } from '../plan/index.js';
import type { ExportRun } from '../state/index.js';

/** What `limits.maxRows` says about a run that would exceed it; undefined when within the limit. */
export interface RowLimitExceeded {
  action: 'warn' | 'skip';
  rows: number;
  reason: string;
}

/**
 * Counts the rows the run would write (before writing anything) and compares them with
 * `limits.maxRows`; `onExceed` (default warn) decides whether the run goes ahead.
 */
export async function checkRowLimit(
  engine: Engine,
  model: Model,
  exp: { name: string; config: ResolvedExport },
  window: { now: Date; sinceSeq: number; untilSeq: number },
): Promise<RowLimitExceeded | undefined> {
  const limits = exp.config.limits;
  if (limits === undefined) return undefined;
  const { countExportRows, resolveExportSpec } = await import('../engine/index.js');
  const rows = await countExportRows(engine, resolveExportSpec(model, exp), window);
  if (rows <= limits.maxRows) return undefined;
  const action = limits.onExceed;
  return {
    action,
    rows,
    reason: `${rows} rows exceed limits.maxRows ${limits.maxRows} (onExceed: ${action}${action === 'skip' ? ': not run, the rows wait for the next run' : ': ran anyway'})`,
  };
}

/** The run recorded for `onExceed: skip` at `at`: nothing published, the count and the reason kept. */
export function skippedRun(
  a: ExportRunAction,
  limit: RowLimitExceeded,
  dataHash: string,
  at: string,
): ExportRun {
  return {
    runId: a.runId,
    status: 'skipped',
    startedAt: at,
    finishedAt: at,
    window: a.window,
    rows: limit.rows,
    files: [],
    bytes: 0,
    manifest: '',
    reason: limit.reason,
    dataHash,
  };
}
