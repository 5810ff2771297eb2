import { existsSync } from 'node:fs';
import { findProjectRoot } from '../../config/index.js';
import { OutflowError, suggestion } from '../../diagnostics/index.js';
import { openWarehouse, projectLayout } from '../../project/layout.js';
import type { CommandContext } from '../context.js';
import { loadCheckedProject } from '../load-checked-project.js';
import { parseNow } from './plan.js';

export interface PreviewOptions {
  now?: string;
  sample?: string;
  format?: 'text' | 'json';
}

/** `outflow preview audience NAME`: member count and a sample, from the warehouse, read-only. */
export async function previewAudienceCommand(
  ctx: CommandContext,
  name: string,
  options: PreviewOptions,
): Promise<number> {
  const root = findProjectRoot(ctx.cwd, ctx.dir);
  const now = parseNow(options.now);
  const { project, ok } = await loadCheckedProject(ctx, root, {
    secretsRequired: false,
    quietWarnings: true,
  });
  if (!ok) return 1;
  const model = project.model;
  const audience = model.resources.Audience.get(name);
  if (audience === undefined) {
    throw new OutflowError('unknown-audience', `no Audience named "${name}"`, {
      hint: suggestion(name, [...model.resources.Audience.keys()], 'audiences'),
    });
  }
  const layout = projectLayout(root, model.project?.config);
  const database = layout.warehouse;
  if (!existsSync(database)) {
    throw new OutflowError('no-warehouse', `there is no warehouse yet (${database})`, {
      hint: 'run "outflow apply" first, so the dataflows are ingested',
    });
  }
  const people = model.resources.Dataflow.get(audience.config.people)!;
  const events =
    audience.config.events === undefined ? undefined : model.resources.Dataflow.get(audience.config.events);
  const sampleSize = options.sample === undefined ? 10 : Number(options.sample);
  if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 10_000) {
    throw new OutflowError('invalid-arguments', `--sample ${options.sample} is not a number from 0 to 10000`);
  }
  const { previewAudience } = await import('../../engine/index.js');
  const engine = await openWarehouse(layout, 'read-only', [layout.outflowDir]);
  try {
    const result = await previewAudience(
      engine,
      audience.config,
      { name: people.name, config: people.config },
      events === undefined ? undefined : { name: events.name, config: events.config },
      now,
      sampleSize,
    );
    if (options.format === 'json') {
      ctx.output.out(JSON.stringify({ audience: name, now: now.toISOString(), ...result }, null, 2));
      return 0;
    }
    ctx.output.out(
      `Audience ${name} at ${now.toISOString()}: ${result.count} member${result.count === 1 ? '' : 's'}`,
    );
    if (result.sample.length > 0) {
      ctx.output.out(`\nFirst ${result.sample.length} by ${people.config.schema.personIdentifier}:`);
      const columns = Object.keys(result.sample[0]!).filter((c) => !c.startsWith('_'));
      const rows = result.sample.map((r) => columns.map((c) => (r[c] === null ? '' : String(r[c]))));
      const widths = columns.map((c, i) =>
        Math.min(40, Math.max(c.length, ...rows.map((r) => r[i]!.length))),
      );
      const line = (cells: string[]) =>
        cells
          .map((v, i) => v.slice(0, 40).padEnd(widths[i]!))
          .join('  ')
          .trimEnd();
      ctx.output.out([line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
    }
    return 0;
  } finally {
    await engine.close();
  }
}
