// The engine: the only code that talks to DuckDB. Everything else imports from here.

export { audienceMembers, membersWithPeopleSql, previewAudience } from './audience.js';
export {
  type Engine,
  type EngineOptions,
  openEngine,
  type RunResult,
  type SqlParams,
  type SqlValue,
} from './engine.js';
export {
  type ExportColumn,
  type ExportedFile,
  type WriteExportOptions,
  type WriteExportResult,
  writeExport,
  writeExportSpec,
} from './export.js';
export { type ChunkRange, fixedRanges, parseByteSize } from './export-chunks.js';
export { countExportRows, resolveExportSpec } from './export-source.js';
export {
  checkExpression,
  checkExpressions,
  closeExpressionChecker,
  type ExpressionProblem,
  type ExpressionToCheck,
  MAX_EXPRESSION_LENGTH,
} from './expression.js';
export { sha256File } from './file-hash.js';
export {
  dropDataset,
  ensureDataset,
  type IngestFile,
  type IngestFileResult,
  type IngestFlow,
  type IngestOptions,
  type IngestResult,
  ingestFiles,
} from './ingest.js';
export {
  type CsvDialect,
  type InspectedColumn,
  type InspectOptions,
  inspectStreamFile,
  type StreamFileInspection,
} from './inspect.js';
export { outflowType, schemaColumnName, schemaColumnNames } from './inspect-columns.js';
export type { JsonValue, Row } from './json-values.js';
export { audienceSql, type FlowRef } from './sql/audience-sql.js';
export { sqlType } from './sql/column-types.js';
export type { ExportSource, ExportSpec } from './sql/export-sql.js';
export { datasetTable } from './sql/ingest-sql.js';
export { quoteIdent, quoteLiteral } from './sql/quote.js';
export { xmlAttribute, xmlTextSql } from './sql/xml-sql.js';
export { fingerprintStreamFile } from './stream-file-check.js';
