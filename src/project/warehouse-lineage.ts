import { OutflowError } from '../diagnostics/index.js';
import type { StateDocument } from '../state/index.js';

/** The warehouse's record of which state lineage its data belongs to (one row). */
export const LINEAGE_TABLE = '_outflow_state_lineage';

/**
 * Whether the state says the warehouse holds data: ingested stream files (or their sequence
 * numbers), export watermarks, runs waiting to be retried, activation syncs. A state without any
 * of it can start from an empty warehouse.
 */
export function stateHoldsWarehouseData(state: StateDocument): boolean {
  return Object.values(state.resources).some((r) => {
    const d = r.data;
    if (d === undefined) return false;
    return (
      (d.ingestedFiles?.length ?? 0) > 0 ||
      (d.ingestSeq ?? 0) > 0 ||
      d.watermark !== undefined ||
      d.pendingRun !== undefined ||
      Object.keys(d.syncMarks ?? {}).length > 0
    );
  });
}

/**
 * The refusal when this machine's warehouse is missing or foreign and the state records data the
 * warehouse segments cannot bring back (`untravelled` says which).
 */
export function notHere(
  warehouse: string,
  stateShown: string,
  state: StateDocument,
  why: string,
  untravelled: string,
): OutflowError {
  return new OutflowError(
    'warehouse-not-here',
    `the warehouse ${warehouse} ${why}, but the state ${stateShown} (lineage ${state.lineage}, serial ${state.serial}) records ${untravelled}, which only that warehouse holds; nothing was run`,
    {
      hint:
        "warehouse segments and activation snapshots carry only what was ingested and synced since the state was remote: run outflow on the machine that holds this project's .outflow/ (or restore that folder, e.g. from a CI cache, before running); " +
        'going on without it would re-export, re-send or miss data',
      meta: { warehouse, lineage: state.lineage },
    },
  );
}
