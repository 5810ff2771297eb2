import { type Model, projectTimezone } from '../model/index.js';
import { activationDueInput, exportDueInput, formatTime, nextDue } from '../plan/index.js';
import type { AudienceSync, ExportRun, StateDocument } from '../state/index.js';
import { scheduleInWords } from './schedule-words.js';

/** One export or activation as `outflow status` shows it. */
export interface StatusRow {
  address: string;
  name: string;
  /** `segment` / `dataOut` for exports, `activation` for activations. */
  type: string;
  destination: string;
  schedule: string;
  enabled: boolean;
  lastRun?: {
    at: string;
    status: string;
    rows: number;
    files: number;
    bytes: number;
    durationMs: number;
    reason?: string;
    /** A failed run's error: its code and message. */
    error?: { code: string; message: string };
    /** Activations: per audience, what the last sync sent (or how far a failed one got). */
    sync?: AudienceSync[];
  };
  /** When it next runs (ISO); at or before `now` means due now; absent: never again. */
  nextDue?: string;
  dueNow: boolean;
  /** An interrupted run that the next run retries. */
  pendingRun?: string;
}

/** The status of every declared export and activation, from the model and the state, at `now`. */
export function statusRows(model: Model, state: StateDocument | undefined, now: Date): StatusRow[] {
  const timezone = projectTimezone(model);
  const rows: StatusRow[] = [];
  for (const node of model.resources.Export.values()) {
    const c = node.config;
    const data = state?.resources[node.address]?.data;
    const last = data?.runs?.at(-1);
    const next = nextDue(exportDueInput(c, data, now, timezone));
    rows.push({
      address: node.address,
      name: node.name,
      type: c.type,
      destination: c.destination,
      schedule: scheduleInWords(c.schedule, timezone),
      enabled: c.enabled,
      ...(last === undefined ? {} : { lastRun: lastRunOf(last) }),
      ...(next === undefined ? {} : { nextDue: next.toISOString() }),
      dueNow: next !== undefined && next.getTime() <= now.getTime(),
      ...(data?.pendingRun === undefined ? {} : { pendingRun: data.pendingRun.runId }),
    });
  }
  for (const node of model.resources.Activation.values()) {
    const c = node.config;
    const data = state?.resources[node.address]?.data;
    const marks = Object.values(data?.syncMarks ?? {}).sort((a, b) => (a.at < b.at ? -1 : 1));
    const mark = marks.at(-1);
    // The last outcome: a recorded sync (failed ones included) or the last successful mark.
    const run = data?.runs?.at(-1);
    const last =
      run !== undefined && (mark === undefined || run.finishedAt >= mark.at)
        ? lastRunOf(run)
        : mark === undefined
          ? undefined
          : { at: mark.at, status: 'succeeded', rows: mark.members, files: 0, bytes: 0, durationMs: 0 };
    const next = nextDue(activationDueInput(c, data, now, timezone));
    rows.push({
      address: node.address,
      name: node.name,
      type: 'activation',
      destination: c.destination,
      schedule: scheduleInWords(c.schedule, timezone),
      enabled: c.enabled,
      ...(last === undefined ? {} : { lastRun: last }),
      ...(next === undefined ? {} : { nextDue: next.toISOString() }),
      dueNow: next !== undefined && next.getTime() <= now.getTime(),
    });
  }
  return rows;
}

function lastRunOf(run: ExportRun): NonNullable<StatusRow['lastRun']> {
  return {
    at: run.window.to,
    status: run.status,
    rows: run.rows,
    files: run.files.length,
    bytes: run.bytes,
    durationMs: Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)),
    ...(run.reason === undefined ? {} : { reason: run.reason }),
    ...(run.error === undefined ? {} : { error: run.error }),
    ...(run.sync === undefined ? {} : { sync: run.sync }),
  };
}

/** `eu_buyers → segment eu_buyers: +3 −1, 2/2 batches, 12 members`. */
function syncInWords(s: AudienceSync): string {
  const members = s.members === undefined ? '' : `, ${s.members} member${s.members === 1 ? '' : 's'}`;
  return `${s.audience} → segment ${s.segment}: +${s.added} −${s.removed}, ${s.delivered}/${s.batches} batch${s.batches === 1 ? '' : 'es'} delivered${members}`;
}

/** `1.2 MB`, `512 B`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`;
}

/** Lines of a table: cells padded to the widest in each column. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The status table for a terminal or a CI log. */
export function renderStatusText(rows: StatusRow[], now: Date): string {
  if (rows.length === 0) return 'No exports or activations are declared.';
  const header = [
    'NAME',
    'TYPE',
    'DESTINATION',
    'SCHEDULE',
    'ENABLED',
    'LAST RUN',
    'STATUS',
    'ROWS',
    'FILES',
    'BYTES',
    'TOOK',
    'NEXT',
  ];
  const cells = rows.map((r) => {
    const l = r.lastRun;
    const next = r.dueNow ? 'due now' : r.nextDue === undefined ? '-' : formatTime(r.nextDue);
    return [
      r.name,
      r.type,
      r.destination,
      r.schedule,
      r.enabled ? 'yes' : 'no',
      l === undefined ? 'never' : formatTime(l.at),
      l === undefined ? '-' : l.status,
      l === undefined ? '-' : String(l.rows),
      l === undefined || r.type === 'activation' ? '-' : String(l.files),
      l === undefined ? '-' : formatBytes(l.bytes),
      l === undefined ? '-' : formatDuration(l.durationMs),
      r.pendingRun === undefined ? next : `${next} (retries ${r.pendingRun})`,
    ];
  });
  const notes = rows.flatMap((r) => {
    const l = r.lastRun;
    const synced = (l?.sync ?? []).map((s) => `  ${r.name}: ${syncInWords(s)}`);
    if (l?.error !== undefined)
      return [`  ${r.name}: failed: error[${l.error.code}]: ${l.error.message}`, ...synced];
    return [...(l?.reason === undefined ? [] : [`  ${r.name}: ${l.reason}`]), ...synced];
  });
  return [
    `Status at ${formatTime(now.toISOString())}`,
    '',
    ...table(header, cells),
    ...(notes.length === 0 ? [] : ['', 'Notes on the last runs:', ...notes]),
  ].join('\n');
}
