import { existsSync } from 'node:fs';
import { OutflowError } from '../diagnostics/index.js';
import type { Engine } from '../engine/index.js';
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
 * Remote state, local warehouse: the state may be shared by machines, the warehouse is not (yet).
 * Refuses (`warehouse-not-here`) when the state records data but this machine's warehouse is
 * missing or belongs to another lineage; otherwise records `state.lineage` in the warehouse
 * (creating it). A warehouse that records no lineage (made before this check, or under local
 * state) is adopted.
 */
export async function checkWarehouseBelongsToState(
  warehouse: string,
  shownWarehouse: string,
  state: StateDocument,
  stateShown: string,
  open: () => Promise<Engine>,
): Promise<void> {
  const holdsData = stateHoldsWarehouseData(state);
  if (holdsData && !existsSync(warehouse)) throw notHere(shownWarehouse, stateShown, state, 'does not exist');
  const engine = await open();
  try {
    await engine.run(
      `CREATE TABLE IF NOT EXISTS ${LINEAGE_TABLE} (lineage VARCHAR NOT NULL, recorded_at VARCHAR NOT NULL)`,
    );
    const rows = await engine.all(`SELECT lineage FROM ${LINEAGE_TABLE} LIMIT 1`);
    const recorded = rows[0] === undefined ? undefined : String(rows[0].lineage);
    if (recorded === state.lineage) return;
    if (recorded !== undefined && holdsData) {
      throw notHere(shownWarehouse, stateShown, state, `belongs to another state (lineage ${recorded})`);
    }
    await engine.run(`DELETE FROM ${LINEAGE_TABLE}`);
    await engine.run(`INSERT INTO ${LINEAGE_TABLE} VALUES ($1, $2)`, [
      state.lineage,
      new Date().toISOString(),
    ]);
  } finally {
    await engine.close();
  }
}

function notHere(warehouse: string, stateShown: string, state: StateDocument, why: string): OutflowError {
  return new OutflowError(
    'warehouse-not-here',
    `the warehouse ${warehouse} ${why}, but the state ${stateShown} (lineage ${state.lineage}, serial ${state.serial}) records ingested data and export watermarks kept in it; nothing was run`,
    {
      hint:
        "the warehouse does not travel with remote state yet: run outflow on the machine that holds this project's .outflow/ (or restore that folder, e.g. from a CI cache, before running); " +
        'going on without it would re-export or miss data',
      meta: { warehouse, lineage: state.lineage },
    },
  );
}
