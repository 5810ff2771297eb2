// What one audience of an activation syncs, resolved from the model: the segment, the attributes
// and the membership query. Shared by apply (which sends) and the plan's impact (which counts).
import { createHash } from 'node:crypto';
import type { MembershipQuery } from '../engine/activation.js';
import type { FlowRef } from '../engine/index.js';
import type { Model, ResolvedActivation } from '../model/index.js';
import type { SyncHeader } from './wire.js';

export interface AudienceSyncSpec {
  query: MembershipQuery;
  /** The body's fixed part, without the runId (each sync gets its own). */
  header: Omit<SyncHeader, 'runId'>;
}

/** The segment an audience of this activation goes to: `segment.name`, or the audience's name. */
export function segmentOf(config: ResolvedActivation, audience: string): { name: string; create: boolean } {
  return { name: config.segment?.name ?? audience, create: config.segment?.create ?? true };
}

/** Fingerprint of the attributes as sent: a member delivered under another one is sent again. */
export function attributesHash(attributes: ResolvedActivation['attributes']): string {
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The sync of `audience` for the activation `name` at `now`, or why it cannot be computed (its
 * dataflows are missing from the model).
 */
export function audienceSyncSpec(
  model: Model,
  name: string,
  audience: string,
  now: Date,
): AudienceSyncSpec | string {
  const act = model.resources.Activation.get(name);
  if (act === undefined) return `activation "${name}" is not in the configuration`;
  const aud = model.resources.Audience.get(audience);
  if (aud === undefined) return `audience "${audience}" is not in the configuration`;
  const flow = (n: string | undefined): FlowRef | undefined => {
    const f = n === undefined ? undefined : model.resources.Dataflow.get(n);
    return f === undefined ? undefined : { name: f.name, config: f.config };
  };
  const people = flow(aud.config.people);
  if (people === undefined) return `dataflow "${aud.config.people}" is not in the configuration`;
  const events = flow(aud.config.events);
  const c = act.config;
  const segment = segmentOf(c, audience);
  const segmentGroup = c.segmentGroup ?? null;
  return {
    query: {
      activation: name,
      audience,
      segment: JSON.stringify([segmentGroup, segment.name]),
      audienceConfig: aud.config,
      people,
      events,
      personIdentifier: c.personIdentifier,
      now,
      attributesHash: attributesHash(c.attributes),
      updateMethod: c.updateMethod,
    },
    header: {
      activation: name,
      audience,
      segmentGroup,
      segment,
      updateMethod: c.updateMethod,
      attributes: c.attributes ?? {},
    },
  };
}
