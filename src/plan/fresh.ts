import type { StateDocument } from '../state/index.js';
import type { Plan } from './types.js';

/** Why a saved plan may no longer be applied to `state` and the current config; undefined when it may. */
export function stalePlanReason(
  plan: Plan,
  state: StateDocument | undefined,
  currentConfigHash?: string,
): string | undefined {
  const lineage = state?.lineage ?? null;
  const serial = state?.serial ?? 0;
  if (plan.state.lineage !== lineage)
    return `saved plan is stale: it was made for state lineage ${plan.state.lineage ?? '(none)'}, the state is lineage ${lineage ?? '(none)'} — run plan again`;
  if (plan.state.serial !== serial)
    return `saved plan is stale: state serial ${serial}, plan made at ${plan.state.serial} — run plan again`;
  if (currentConfigHash !== undefined && currentConfigHash !== plan.configHash)
    return 'saved plan is stale: the configuration changed since the plan was made — run plan again';
  return undefined;
}
