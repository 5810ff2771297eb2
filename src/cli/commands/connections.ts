import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transition } from '../../apply/index.js';
import { findProjectRoot } from '../../config/index.js';
import { closest, errorCode, errorMessage, errorToText, OutflowError } from '../../diagnostics/index.js';
import type { ResourceNode } from '../../model/index.js';
import { nextRevision, type StateLock } from '../../state/index.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { type StateLocationContext, stateLocation } from '../state-location.js';
import { OUTFLOW_VERSION } from '../version.js';

/** One connection's check: what was done and how it went. */
export interface ConnectionCheckResult {
  connection: string;
  type: string;
  ok: boolean;
  /** Where it went (`s3://bucket/prefix/…`), what was checked, or why it failed. */
  detail: string;
  ms: number;
  error?: { code: string; message: string };
}

/**
 * `outflow connections test [NAME…]`: a real round trip to each named connection (every one when
 * none is named): a file store gets a small probe object written, read back, compared and
 * deleted; a webhook gets a reachability check that sends no data. One line per connection,
 * exit 0 when all pass. Results are kept in state (for applied connections) so the plan stops
 * warning about untested destinations.
 */
export async function connectionsTestCommand(ctx: CommandContext, names: string[]): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const { project, ok } = await loadCheckedProject(ctx, root, {
    refusal: 'nothing tested',
    quietWarnings: true,
  });
  if (!ok) return 1;
  const all = [...project.model.resources.Connection.values()];
  const chosen: ResourceNode<'Connection'>[] = [];
  for (const name of names) {
    const node = project.model.resources.Connection.get(name.replace(/^Connection\//, ''));
    if (node === undefined) {
      const near = closest(
        name,
        all.map((c) => c.name),
      );
      throw new OutflowError('unknown-name', `no connection named "${name}"`, {
        hint:
          near === undefined
            ? `declared: ${all.map((c) => c.name).join(', ') || '(none)'}`
            : `did you mean "${near}"?`,
      });
    }
    chosen.push(node);
  }
  const targets = names.length === 0 ? all : chosen;
  if (targets.length === 0) {
    ctx.output.out('No connections are declared.');
    return 0;
  }
  const results: ConnectionCheckResult[] = [];
  for (const node of targets) {
    const result = await checkConnection(root, node, ctx.env);
    results.push(result);
    ctx.output.out(
      `${result.ok ? '✓' : '✗'} ${node.name} (${node.config.type}): ${result.detail} (${result.ms} ms)`,
    );
  }
  await recordResults(
    ctx,
    root,
    project.model.project?.config,
    { connections: project.model.resources.Connection, env: ctx.env },
    results,
  );
  const failed = results.filter((r) => !r.ok).length;
  ctx.output.out(
    failed === 0
      ? `\nAll ${results.length} connection${results.length === 1 ? '' : 's'} passed.`
      : `\n${failed} of ${results.length} connection${results.length === 1 ? '' : 's'} failed.`,
  );
  return failed === 0 ? 0 : 1;
}

async function checkConnection(
  root: string,
  node: ResourceNode<'Connection'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ConnectionCheckResult> {
  const started = Date.now();
  const base = { connection: node.name, type: node.config.type };
  try {
    const detail =
      node.config.type === 'webhook'
        ? await reachWebhook(node.config.baseUrl)
        : await roundTrip(root, node, env);
    return { ...base, ok: true, detail, ms: Date.now() - started };
  } catch (error) {
    const text =
      error instanceof OutflowError ? errorToText(error).replace(/\n\s*/g, ' — ') : errorMessage(error);
    return {
      ...base,
      ok: false,
      detail: text,
      ms: Date.now() - started,
      error: { code: errorCode(error), message: errorMessage(error) },
    };
  }
}

/** Writes, reads back, compares and deletes a small probe object in the connection's store. */
async function roundTrip(
  root: string,
  node: ResourceNode<'Connection'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const { openDestination } = await import('../../destinations/index.js');
  const destination = await openDestination(node, { root, env });
  const dir = await mkdtemp(join(tmpdir(), 'outflow-probe-'));
  const key = `.outflow-probe-${randomBytes(6).toString('hex')}.txt`;
  const body = `outflow connection test ${new Date().toISOString()} ${key}\n`;
  try {
    await writeFile(join(dir, 'probe'), body);
    await destination.put(key, join(dir, 'probe'));
    const back = await destination.get(key);
    if (back?.toString() !== body)
      throw new OutflowError(
        'destination-failed',
        `the probe ${destination.describe(key)} read back differently`,
        {
          hint: 'something rewrites objects in this store (a transform, an encryption proxy?)',
        },
      );
    await destination.delete(key);
    return `wrote, read back and deleted ${destination.describe(key)}`;
  } finally {
    await destination.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A webhook is reached when its endpoint answers at all (any HTTP status): a HEAD, no body, no data. */
async function reachWebhook(baseUrl: string): Promise<string> {
  const url = new URL(baseUrl);
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  try {
    const res = await fetch(baseUrl, {
      method: 'HEAD',
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    });
    return `${shown} answered HEAD with ${res.status} (reachable; no data sent)`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
    throw new OutflowError('destination-unreachable', `${shown} is not reachable: ${cause}`, {
      hint: 'check the URL, DNS and firewall between this machine and the receiver',
    });
  }
}

/** Keeps each applied connection's result in state, unless another command holds the lock. */
async function recordResults(
  ctx: CommandContext,
  root: string,
  project: Parameters<typeof stateLocation>[1],
  context: StateLocationContext,
  results: ConnectionCheckResult[],
): Promise<void> {
  let loc: Awaited<ReturnType<typeof stateLocation>>;
  let lock: StateLock | undefined;
  try {
    loc = await stateLocation(root, project, context);
    lock = await loc.store.acquireLock({ operation: 'connections test' });
  } catch (error) {
    ctx.output.err(
      (error as { code?: string }).code === 'state-locked'
        ? '(results not kept in state: another outflow command holds the lock)'
        : `(results not kept in state: ${errorMessage(error)})`,
    );
    return;
  }
  try {
    let state = await loc.store.read();
    if (state === undefined) return;
    const at = new Date().toISOString();
    let changed = false;
    for (const r of results) {
      const address = `Connection/${r.connection}`;
      if (state.resources[address] === undefined) continue;
      state = transition(state, {
        type: 'connectionTested',
        address,
        at,
        ok: r.ok,
        ...(r.error === undefined ? {} : { error: r.error }),
      });
      changed = true;
    }
    if (changed) await loc.store.write(nextRevision(state, new Date(), OUTFLOW_VERSION));
  } finally {
    await lock.release();
  }
}
