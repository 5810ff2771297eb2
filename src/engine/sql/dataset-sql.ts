import type { Dataflow } from '../../schema/index.js';
import { sqlType } from './column-types.js';
import {
  type DeclaredColumn,
  datasetTable,
  REJECT_TABLE,
  type Sql,
  STAGE_TABLE,
  SYSTEM_COLUMNS,
} from './ingest-sql.js';
import { quoteIdent } from './quote.js';

/** Pure SQL builders for the dataset tables `"ds_<dataflow>"`. */

/** Column definitions of a dataflow's table: declared columns, then _seq, _file, _line. */
export function datasetColumns(flow: Dataflow): { name: string; type: string }[] {
  return [
    ...flow.schema.columns.map((c) => ({ name: c.name, type: sqlType(c.type) })),
    ...SYSTEM_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
  ];
}

export function createDatasetSql(flowName: string, flow: Dataflow, replace: boolean): Sql {
  const columns = datasetColumns(flow)
    .map((c) => `${quoteIdent(c.name)} ${c.type}`)
    .join(', ');
  const create = replace ? 'CREATE OR REPLACE TABLE' : 'CREATE TABLE IF NOT EXISTS';
  return { sql: `${create} ${quoteIdent(datasetTable(flowName))} (${columns})`, params: [] };
}

/** The table's current columns and types, in order (empty when it does not exist). */
export function tableColumnsSql(table: string): Sql {
  return {
    sql: 'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
    params: [table],
  };
}

/**
 * Rows with `_seq >= firstSeq` come from an ingest that committed to the warehouse but was never
 * recorded in state (a crash in between), rows with `_seq` NULL from one that crashed before it
 * numbered its rows (ingest.ts): they are removed before the same files are ingested again, so
 * state stays the source of truth and no row is stored twice.
 */
export function discardUnrecordedSql(flowName: string, firstSeq: number): Sql {
  return {
    sql: `DELETE FROM ${quoteIdent(datasetTable(flowName))} WHERE _seq >= CAST($1 AS BIGINT) OR _seq IS NULL`,
    params: [firstSeq],
  };
}

export function dropDatasetSql(flowName: string): Sql {
  return { sql: `DROP TABLE IF EXISTS ${quoteIdent(datasetTable(flowName))}`, params: [] };
}

/**
 * Inserts the valid staged rows (in line order, as staged); `_seq` = `seqBase + _line`, so
 * sequence numbers follow the file's records (rejected records leave gaps).
 */
export function insertStagedSql(
  flowName: string,
  columns: readonly DeclaredColumn[],
  seqBase: number,
  file: string,
): Sql {
  const names = columns.map((c) => quoteIdent(c.name));
  const values = columns.map((_, i) => quoteIdent(`c${i}`));
  return {
    sql: [
      `INSERT INTO ${quoteIdent(datasetTable(flowName))} (${[...names, '"_seq"', '"_file"', '"_line"'].join(', ')})`,
      `SELECT ${values.join(', ')}, CAST($1 AS BIGINT) + _line, CAST($2 AS VARCHAR), _line`,
      `FROM ${quoteIdent(STAGE_TABLE)} WHERE _valid`,
    ].join('\n'),
    params: [seqBase, file],
  };
}

export function createRejectsSql(): Sql {
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${quoteIdent(REJECT_TABLE)} (file VARCHAR, line BIGINT, col INTEGER, "column" VARCHAR, reason VARCHAR, value VARCHAR)`,
    params: [],
  };
}

/** One reject-report row per invalid (row, column) of the staged file. */
export function collectRejectsSql(columns: readonly DeclaredColumn[], file: string): Sql {
  const params: (string | number)[] = [file];
  const parts = columns.map((column, i) => {
    params.push(column.name);
    const r = quoteIdent(`r${i}`);
    return `SELECT $1, _line, ${i}, $${params.length}, ${r}, left(${quoteIdent(`s${i}`)}, 200) FROM ${quoteIdent(STAGE_TABLE)} WHERE ${r} IS NOT NULL`;
  });
  return { sql: `INSERT INTO ${quoteIdent(REJECT_TABLE)} ${parts.join('\nUNION ALL ')}`, params };
}

export function firstRejectsSql(limit: number): Sql {
  return {
    sql: `SELECT file, line, "column", reason FROM ${quoteIdent(REJECT_TABLE)} ORDER BY file, line, col LIMIT $1`,
    params: [limit],
  };
}

/** COPY the reject report (file, line, column, reason, value) to a CSV file. */
export function copyRejectsSql(target: string, quoteTarget: (path: string) => string): Sql {
  return {
    sql: `COPY (SELECT file, line, "column", reason, value FROM ${quoteIdent(REJECT_TABLE)} ORDER BY file, line, col) TO ${quoteTarget(target)} (FORMAT csv, HEADER true)`,
    params: [],
  };
}

/** Upsert: keep only the latest ingested row (highest `_seq`) per person identifier. */
export function keepLatestPerPersonSql(flowName: string, personIdentifier: string): Sql {
  const table = quoteIdent(datasetTable(flowName));
  return {
    sql: `DELETE FROM ${table} WHERE _seq IN (SELECT _seq FROM ${table} QUALIFY row_number() OVER (PARTITION BY ${quoteIdent(personIdentifier)} ORDER BY _seq DESC) > 1)`,
    params: [],
  };
}

export function dropTempSql(table: string): Sql {
  return { sql: `DROP TABLE IF EXISTS temp.main.${quoteIdent(table)}`, params: [] };
}
