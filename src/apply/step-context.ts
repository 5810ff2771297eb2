import type { WebhookSender } from '../activations/client.js';
import type { Destination } from '../destinations/index.js';
import type { Engine } from '../engine/index.js';
import type { ResourceNode } from '../model/index.js';
import type { ProjectLayout } from '../project/layout.js';
import type { ResourceData } from '../state/index.js';
import type { ApplyInput } from './executor.js';
import type { ApplyEvent } from './transitions.js';

/** What one apply step works with: the executor's input and effects, shared by every step. */
export interface StepContext {
  input: ApplyInput;
  layout: ProjectLayout;
  /** The injected wall clock (started/finished times). */
  clock(): Date;
  /** The warehouse, opened on first use. */
  engine(): Promise<Engine>;
  /** A resource's data as state holds it now ({} when none). */
  data(address: string): ResourceData;
  /** Applies one transition to state and saves it (not in a draft). */
  record(event: ApplyEvent): Promise<void>;
  /** The destination of a connection, opened once per apply. */
  destination(connection: ResourceNode<'Connection'>): Promise<Destination>;
  /** The sender of a webhook Connection, opened once per apply. */
  webhook(connection: ResourceNode<'Connection'>): Promise<WebhookSender>;
  /** A progress callback for the files one item sends or receives. */
  transferReporter(
    item: string,
    direction: 'up' | 'down',
  ): (file: string, bytes: number, total: number) => void;
}

/** `Export/buyers_daily` → `buyers_daily`. */
export function nameOf(address: string): string {
  return address.slice(address.indexOf('/') + 1);
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Remote state: uploads a local file under `key` (relative to the state prefix) through the state's
 * connection, reporting progress as `item`; returns its size and sha256 for the state to record.
 */
export async function putStateObject(
  ctx: StepContext,
  item: string,
  key: string,
  file: string,
): Promise<{ bytes: number; sha256: string }> {
  const target = ctx.input.segments!;
  const { stat } = await import('node:fs/promises');
  const { sha256File } = await import('../engine/file-hash.js');
  const { prefixedKey } = await import('../destinations/credentials.js');
  const { size } = await stat(file);
  const sha256 = await sha256File(file);
  const destination = await ctx.destination(target.connection);
  const report = ctx.transferReporter(item, 'up');
  await destination.put(prefixedKey(target.prefix, key), file, (sent) => report(key, sent, size));
  return { bytes: size, sha256 };
}
