import { readFile } from 'node:fs/promises';
import { OutflowError } from '../diagnostics/index.js';
import type { Model } from '../model/index.js';
import { modelConfigHash, PLAN_FORMAT_VERSION, type Plan, stalePlanReason } from '../plan/index.js';
import type { StateDocument } from '../state/index.js';

/**
 * Reads a plan saved with `outflow plan --out FILE` and refuses it (`stale-plan`) when the state's
 * lineage or serial moved on since, or when `model` (the current YAML) no longer hashes the same.
 */
export async function loadSavedPlan(
  file: string,
  state: StateDocument | undefined,
  model?: Model,
): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (error) {
    throw new OutflowError('plan-unreadable', `cannot read saved plan ${file}: ${(error as Error).message}`, {
      hint: 'save a plan with "outflow plan --out FILE"',
    });
  }
  if (
    typeof plan !== 'object' ||
    plan === null ||
    plan.formatVersion !== PLAN_FORMAT_VERSION ||
    !Array.isArray(plan.resourceChanges)
  ) {
    throw new OutflowError(
      'plan-unreadable',
      `${file} is not an outflow plan (formatVersion ${PLAN_FORMAT_VERSION})`,
      {
        hint: 'save a plan with "outflow plan --out FILE"',
      },
    );
  }
  const stale = stalePlanReason(plan, state, model === undefined ? undefined : modelConfigHash(model));
  if (stale !== undefined) {
    throw new OutflowError('stale-plan', stale, {
      hint: 'run "outflow plan --out FILE" again and apply the new plan',
      meta: { planState: plan.state, state: { lineage: state?.lineage ?? null, serial: state?.serial ?? 0 } },
    });
  }
  return plan;
}
