import picomatch from 'picomatch';
import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt, warningAt } from '../../diagnostics/index.js';
import type { Connection } from '../../schema/index.js';
import type { Model, ResourceNode } from '../model.js';
import type { Rule } from './context.js';

const COMPRESSIONS: Record<string, readonly string[]> = {
  parquet: ['none', 'gzip', 'zstd', 'snappy'],
  csv: ['none', 'gzip', 'zstd'],
  json: ['none', 'gzip', 'zstd'],
  ndjson: ['none', 'gzip', 'zstd'],
  xml: ['none', 'gzip'],
};

/** An export's options fit its type, format and source. */
export const exportOptionsFit: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const exp of model.resources.Export.values()) {
    const c = exp.config;
    if (c.type === 'segment' && c.fields === undefined)
      out.push(
        errorAt(
          exp.locate(['type']),
          'missing-field',
          'a segment export needs "fields" (the columns to export)',
          'add fields: [col1, col2], or use type: dataOut to export every column',
        ),
      );
    if (c.type === 'dataOut' && c.fields !== undefined)
      out.push(
        warningAt(
          exp.locate(['fields'], { key: true }),
          'ignored-field',
          'a dataOut export exports every column; "fields" is ignored',
          'remove fields, or use type: segment',
        ),
      );
    const compression = c.compression;
    const allowed = COMPRESSIONS[c.format] ?? [];
    if (!allowed.includes(compression))
      out.push(
        errorAt(
          exp.locate(['compression']),
          'invalid-value',
          `compression ${compression} is not available for ${c.format} files`,
          `use one of: ${allowed.join(', ')}`,
        ),
      );
    const flow =
      c.from.dataflow === undefined ? undefined : model.resources.Dataflow.get(c.from.dataflow)?.config;
    const isEvent = flow?.entity === 'event';
    if (c.from.events !== undefined && c.from.audience !== undefined)
      out.push(
        errorAt(
          exp.locate(['from', 'events']),
          'invalid-value',
          'from.events filters an event dataflow; an audience export cannot use it',
          'remove events, or export from: {dataflow: <events>}',
        ),
      );
    else if (c.from.events !== undefined && flow !== undefined && !isEvent)
      out.push(
        errorAt(
          exp.locate(['from', 'events']),
          'wrong-entity',
          `from.events needs an event dataflow; "${c.from.dataflow}" is entity ${flow.entity}`,
          'remove events, or point from.dataflow at an event dataflow',
        ),
      );
    if (c.splitBy === 'event' && (c.from.audience !== undefined || (flow !== undefined && !isEvent)))
      out.push(
        errorAt(
          exp.locate(['splitBy']),
          'wrong-entity',
          'splitBy: event needs an event dataflow as the source',
          'remove splitBy, or export an event dataflow',
        ),
      );
    if (c.from.audience !== undefined && c.mode === 'incremental')
      out.push(
        errorAt(
          exp.locate(['mode']),
          'invalid-value',
          'audience exports are snapshots of the current members; mode: incremental applies to dataflows',
          'use mode: full (the default for audiences)',
        ),
      );
    if (c.manifest === false)
      out.push(
        warningAt(
          exp.locate(['manifest']),
          'no-manifest',
          'manifest: false publishes the data files without a manifest: consumers get no completion signal, no file list, rows or sha256 to check, and cannot tell a partial run from a complete one',
          'keep manifest: true (the default) unless the consumer cannot ignore the extra _manifest-<runId>.json file',
        ),
      );
  }
  return out;
};

function connectionUses(model: Model): { node: ResourceNode; path: (string | number)[]; name: string }[] {
  const uses: { node: ResourceNode; path: (string | number)[]; name: string }[] = [];
  const p = model.project;
  if (p?.config.state?.connection !== undefined)
    uses.push({ node: p as ResourceNode, path: ['state', 'connection'], name: p.config.state.connection });
  for (const f of model.resources.Dataflow.values())
    if (f.config.source.connection)
      uses.push({
        node: f as ResourceNode,
        path: ['source', 'connection'],
        name: f.config.source.connection,
      });
  for (const e of model.resources.Export.values())
    uses.push({ node: e as ResourceNode, path: ['destination'], name: e.config.destination });
  for (const a of model.resources.Activation.values())
    uses.push({ node: a as ResourceNode, path: ['destination'], name: a.config.destination });
  return uses;
}

/** A connection is used only from the files it is shared with. */
export const connectionSharingHonoured: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const use of connectionUses(model)) {
    const conn = model.resources.Connection.get(use.name);
    const globs = (conn?.config as { shareWith?: string[] } | undefined)?.shareWith;
    if (conn === undefined || globs === undefined || use.node.file === conn.file) continue;
    if (!picomatch(globs, { dot: true })(use.node.file)) {
      out.push(
        errorAt(
          use.node.locate(use.path),
          'connection-not-shared',
          `connection "${use.name}" is not shared with ${use.node.file}`,
          `its shareWith (${conn.file}) allows ${globs.map((g) => `"${g}"`).join(', ')}; ask its owner to add this file, or use another connection`,
        ),
      );
    }
  }
  return out;
};

/** A destination that accepts only some subjects (e.g. contacts) refuses audiences of other subjects. */
export const audiencesEligibleForDestination: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  const check = (node: ResourceNode, path: (string | number)[], audience: string, destination: string) => {
    const aud = model.resources.Audience.get(audience)?.config;
    const subjects = (
      model.resources.Connection.get(destination)?.config as
        | (Connection & { subjects?: string[] })
        | undefined
    )?.subjects;
    if (aud === undefined || subjects === undefined) return;
    const subject = aud.subject;
    if (!subjects.includes(subject)) {
      out.push(
        errorAt(
          node.locate(path),
          'audience-not-eligible',
          `audience '${audience}' is not eligible for destination '${destination}': it selects ${subject}s and '${destination}' accepts only ${subjects.join(', ')}`,
          `build an audience of ${subjects.join(' or ')} (subject: ${subjects[0]}) with the same conditions and export that one`,
        ),
      );
    }
  };
  for (const e of model.resources.Export.values())
    if (e.config.from.audience)
      check(e as ResourceNode, ['from', 'audience'], e.config.from.audience, e.config.destination);
  for (const a of model.resources.Activation.values())
    a.config.audiences.forEach((aud, i) => {
      check(a as ResourceNode, ['audiences', i], aud, a.config.destination);
    });
  return out;
};

/** A recurring and a one-time export of the same dataflow to the same destination may not both be enabled. */
export const recurringAndOneTimeExclusive: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  const seen = new Map<string, { once: ResourceNode<'Export'>[]; recurring: ResourceNode<'Export'>[] }>();
  for (const e of model.resources.Export.values()) {
    const { from, destination, schedule, enabled } = e.config;
    if (from.dataflow === undefined || schedule === undefined || enabled === false) continue;
    const key = `${from.dataflow}\u0000${destination}`;
    const group = seen.get(key) ?? { once: [], recurring: [] };
    seen.set(key, group);
    ('once' in schedule ? group.once : group.recurring).push(e);
  }
  for (const { once, recurring } of seen.values()) {
    if (once.length === 0 || recurring.length === 0) continue;
    const other = recurring[0]!;
    const pos = other.locate(['name']);
    for (const e of once) {
      out.push(
        errorAt(
          e.locate(['schedule']),
          'conflicting-exports',
          `one-time export "${e.name}" and recurring export "${other.name}" (${pos.file}:${pos.line}) both send dataflow "${e.config.from.dataflow}" to "${e.config.destination}"`,
          `disable one of them (enabled: false) until the other is done`,
        ),
      );
    }
  }
  return out;
};

/** `segment.name` names one segment: with several audiences they would overwrite each other there. */
export const oneSegmentPerAudience: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const a of model.resources.Activation.values()) {
    const { segment, audiences } = a.config;
    if (segment?.name === undefined || audiences.length < 2) continue;
    out.push(
      errorAt(
        a.locate(['segment', 'name']),
        'segment-name-ambiguous',
        `segment.name "${segment.name}" would receive ${audiences.length} audiences (${audiences.join(', ')}), and each sync would undo the other's`,
        'remove segment.name (each audience then goes to a segment of its own name), or split the activation: one per audience',
      ),
    );
  }
  return out;
};
