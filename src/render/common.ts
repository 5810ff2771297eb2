import {
  type DataAction,
  type FieldChange,
  formatTime,
  formatValue,
  type Plan,
  type ResourceAction,
  type ResourceChange,
  type StreamFileSkipReason,
} from '../plan/index.js';
import { formatBytes } from './status.js';

export const SYMBOL: Record<ResourceAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  'no-op': ' ',
};

/** The changes a person reviews: everything but no-ops, in plan order. */
export function reviewable(plan: Plan): ResourceChange[] {
  return plan.resourceChanges.filter((c) => c.action !== 'no-op');
}

/** Unchanged resources downstream of a change (`affectedBy`), in plan order. */
export function indirectlyAffected(plan: Plan): (ResourceChange & { affectedBy: string[] })[] {
  return plan.resourceChanges.filter(
    (c): c is ResourceChange & { affectedBy: string[] } =>
      c.affectedBy !== undefined && c.affectedBy.length > 0,
  );
}

export const INDIRECTLY_AFFECTED = 'Indirectly affected (unchanged, downstream of a change)';

/** `depends on changed Dataflow/users, Audience/fr` */
export function affectedText(change: { affectedBy: readonly string[] }): string {
  return `depends on changed ${change.affectedBy.join(', ')}`;
}

/** `Plan: 2 to create, 1 to update, 0 to replace, 0 to delete; 1 breaking; 2 data actions` */
export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return (
    `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete; ` +
    `${s.breaking} breaking; ${s.dataActions} data action${s.dataActions === 1 ? '' : 's'}`
  );
}

export const NO_CHANGES = 'No changes: the configuration matches the state and no data actions are due.';

/** `~ path: before → after`, `+ path: value`, `- path: value` (secrets already read `(sensitive)`). */
export function fieldLine(change: FieldChange): string {
  if (!('before' in change)) return `+ ${change.path}: ${formatValue(change.after)}`;
  if (!('after' in change)) return `- ${change.path}: ${formatValue(change.before)}`;
  return `~ ${change.path}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
}

/** The field lines worth showing for a change (a delete is summed up by its reason). */
export function fieldLines(change: ResourceChange): string[] {
  return change.action === 'delete' ? [] : change.changes.map(fieldLine);
}

/** `Targeted plan: only Export/a, Export/b.` / `Excluded: …` notes; empty when neither was given. */
export function filterNotes(plan: Plan): string[] {
  const notes: string[] = [];
  if (plan.targets !== undefined)
    notes.push(
      `Targeted plan: only ${plan.targets.join(', ')}. Other resources are not shown and would not be applied.`,
    );
  if (plan.excludes !== undefined)
    notes.push(`Excluded: ${plan.excludes.join(', ')}. They are not shown and would not be applied.`);
  return notes;
}

/** What a data action does, in one line (the reason is shown beside it). */
export function dataActionDetail(action: DataAction): string {
  switch (action.type) {
    case 'ingest': {
      const shown = action.files.slice(0, 3).map((f) => f.path);
      const more = action.files.length > shown.length ? `, … ${action.files.length - shown.length} more` : '';
      return `${action.files.length} file${action.files.length === 1 ? '' : 's'}: ${shown.join(', ')}${more}`;
    }
    case 'export': {
      const to = formatTime(action.window.to);
      const window =
        action.window.from === undefined
          ? `everything up to ${to}`
          : `(${formatTime(action.window.from)}, ${to}]`;
      return `run ${action.runId} (${action.mode}), window ${window}`;
    }
    case 'activation-sync':
      return 'sync membership changes';
  }
}

export const DATA_ACTION_LABEL: Record<DataAction['type'], string> = {
  ingest: 'ingest',
  export: 'export',
  'activation-sync': 'sync',
};

export function stateLine(plan: Plan): string {
  return plan.state.lineage === null
    ? 'no state yet'
    : `state serial ${plan.state.serial}, lineage ${plan.state.lineage.slice(0, 8)}`;
}

/** `Compared with origin/main at 1a2b3c4d5e6f …` and the base warning; empty without --base. */
export function baseNotes(plan: Plan): string[] {
  const b = plan.base;
  if (b === undefined) return [];
  if (b.warning !== undefined) return [`Warning: ${b.warning}`];
  const files =
    b.changedFiles.length === 0
      ? 'no config files changed'
      : `changed: ${b.changedFiles.slice(0, 10).join(', ')}${b.changedFiles.length > 10 ? `, … ${b.changedFiles.length - 10} more` : ''}`;
  return [`Compared with ${b.ref} at ${b.commit.slice(0, 12)} (taken as applied); ${files}`];
}

const SKIP_REASON: Record<StreamFileSkipReason, string> = {
  symlink: 'a symbolic link (stream files must be regular files; move or copy the file into the folder)',
  'symlink-outside-project':
    'a symbolic link leading outside the project (stream files must be regular files inside it)',
  'broken-symlink': 'a symbolic link to nothing',
};

/** `Warning: Dataflow/users: skipped data/users/x.csv: a symbolic link …`, one per skipped stream file. */
export function skippedStreamFileNotes(plan: Plan): string[] {
  return (plan.skippedStreamFiles ?? []).map(
    (s) => `Warning: ${s.address}: skipped ${s.path}: ${SKIP_REASON[s.reason]}`,
  );
}

/** One `[address, what]` row per impact entry, e.g. `members 120 → 95 (+3 / −28)`. */
export function impactRows(plan: Plan): [string, string][] {
  const impact = plan.impact;
  if (impact === undefined) return [];
  const rows: [string, string][] = [];
  if (impact.notComputed !== undefined) rows.push(['(all)', impact.notComputed]);
  for (const a of impact.audiences) {
    if (a.notComputed !== undefined) rows.push([a.address, a.notComputed]);
    else
      rows.push([
        a.address,
        `members ${count(a.before)} → ${count(a.after)} (+${count(a.added)} / −${count(a.removed)})`,
      ]);
  }
  for (const e of impact.exports) {
    if (e.notComputed !== undefined) {
      rows.push([e.address, e.notComputed]);
      continue;
    }
    if (e.rows === 0) {
      rows.push([e.address, 'next run sends 0 rows']);
      continue;
    }
    const files =
      e.files === undefined ? 'files unknown' : `~${count(e.files)} file${e.files === 1 ? '' : 's'}`;
    const bytes = e.bytes === undefined ? 'size unknown (no previous run)' : `~${formatBytes(e.bytes)}`;
    rows.push([
      e.address,
      `next run sends ${count(e.rows)} row${e.rows === 1 ? '' : 's'}, ${files}, ${bytes}`,
    ]);
  }
  for (const a of impact.activations ?? []) {
    if (a.notComputed !== undefined) {
      rows.push([a.address, a.notComputed]);
      continue;
    }
    for (const s of a.audiences) {
      const unfinished =
        s.unfinished === undefined || s.unfinished === 0
          ? ''
          : `; first ${count(s.unfinished)} batch${s.unfinished === 1 ? '' : 'es'} left by an unfinished sync`;
      const what =
        s.added + s.removed === 0
          ? 'no change, nothing sent'
          : `+${count(s.added)} −${count(s.removed)} in ${count(s.batches)} batch${s.batches === 1 ? '' : 'es'}`;
      rows.push([
        a.address,
        `sync ${s.audience} → segment ${s.segment}: ${what}, ${count(s.members)} member${s.members === 1 ? '' : 's'} after${unfinished}`,
      ]);
    }
  }
  return rows;
}

/** Heading of the data impact section. */
export function impactTitle(plan: Plan): string {
  return `Data impact (on ${plan.impact?.warehouse ?? 'the warehouse'}, at ${plan.now}; rows already ingested)`;
}

function count(n: number | undefined): string {
  return n === undefined ? '–' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
