import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { OutflowError } from '../diagnostics/errors.js';
import { resolveAllowedDirectory } from './allowed-directories.js';
import { duckdb } from './duckdb.js';
import { jsonSafeConverter, type Row } from './json-values.js';

export interface EngineOptions {
  /** A database file path (created with its folder if missing) or ':memory:'. */
  database: string;
  /** The only folders SQL may read or write files in (absolute paths). */
  allowedDirectories: readonly string[];
  /** DuckDB size such as '2GB'; default DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** Worker threads; default DuckDB's (one per core). */
  threads?: number;
  /**
   * Where DuckDB spills when memory runs out. Default: DuckDB's `<database>.tmp` beside a
   * database file; for ':memory:' spilling is off (DuckDB's default there is `./.tmp` in the
   * working directory, which would become writable).
   */
  tempDirectory?: string;
  /** Session time zone for TIMESTAMPTZ arithmetic and formatting; default 'UTC' (deterministic). */
  timezone?: string;
  /** Open a database file read-only (for plan and status, beside a running apply). */
  readOnly?: boolean;
}

/** A bindable SQL parameter value. */
export type SqlValue = string | number | bigint | boolean | null;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

export interface RunResult {
  /** Rows inserted, updated, deleted or copied by the statement. */
  rowsChanged: number;
}

/** A locked-down DuckDB database with one connection. */
export interface Engine {
  readonly database: string;
  /** Runs SQL (several statements allowed when there are no params). */
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  /** Runs a query and returns its rows as JSON-safe values (see json-values.ts). */
  all(sql: string, params?: SqlParams): Promise<Row[]>;
  /**
   * Runs a query and hands its rows to `onRows` one result chunk at a time (about 2,048 rows),
   * so large results never sit in memory whole. Awaits `onRows` before fetching the next chunk.
   */
  stream(
    sql: string,
    params: SqlParams | undefined,
    onRows: (rows: Row[]) => Promise<void> | void,
  ): Promise<void>;
  /** Cancels the running query (it fails with an interrupt error); for time-bounded plan queries. */
  interrupt?(): void;
  /** Closes the connection and database; idempotent. */
  close(): Promise<void>;
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(engine: Engine, work: () => Promise<T>): Promise<T> {
  await engine.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await engine.run('COMMIT');
    return result;
  } catch (error) {
    await engine.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Opens DuckDB and locks it down before anyone can run SQL: file access only inside
 * `allowedDirectories` (and the temp directory), no extension loading, no configuration
 * changes afterwards.
 *
 * Why the settings go through SET and in this order (checked against DuckDB 1.5.6):
 * - `allowed_directories` cannot be given to `DuckDBInstance.create` (the C API rejects list
 *   options with "Failed to set config") and cannot be SET once `enable_external_access` is
 *   false ("Cannot change allowed_directories when enable_external_access is disabled"), so
 *   external access must be switched off by SET after it, never at create time.
 * - `temp_directory` cannot change once external access is off either; DuckDB adds it to the
 *   allowed directories itself, so it need not be inside one.
 * - memory_limit, threads and TimeZone also go through SET (not create options): a bad value
 *   then fails with DuckDB's own message instead of the C API's bare "Failed to set config".
 * - `lock_configuration` comes last; after it every SET (including TimeZone) fails.
 * The autoload/autoinstall options are create-time so nothing is fetched before lockdown.
 */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads > 0)) {
    throw new OutflowError(
      'engine_invalid_setting',
      `engine threads must be a positive integer, got ${options.threads}`,
      {
        hint: 'set engine.threads in outflow.yaml to a whole number such as 4',
      },
    );
  }
  const allowed = await Promise.all(options.allowedDirectories.map(resolveAllowedDirectory));
  const inMemory = options.database === ':memory:';
  const database = inMemory ? ':memory:' : path.resolve(options.database);
  if (!inMemory && options.readOnly !== true) await mkdir(path.dirname(database), { recursive: true });

  let instance: DuckDBInstance;
  try {
    instance = await duckdb.DuckDBInstance.create(database, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      ...(options.readOnly === true && !inMemory ? { access_mode: 'READ_ONLY' } : {}),
    });
  } catch (error) {
    throw new OutflowError(
      'engine_open_failed',
      `cannot open the DuckDB database ${database}: ${messageOf(error)}`,
      {
        hint: 'check that the folder is writable and no other outflow process has the warehouse open',
        cause: error,
      },
    );
  }
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    const tempDirectory = options.tempDirectory ?? (inMemory ? '' : `${database}.tmp`);
    await lockDown(connection, {
      memoryLimit: options.memoryLimit,
      threads: options.threads,
      tempDirectory: tempDirectory === '' ? '' : path.resolve(tempDirectory),
      timezone: options.timezone ?? 'UTC',
      allowed,
    });
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }
  return new LockedEngine(instance, connection, database);
}

interface LockdownSettings {
  memoryLimit: string | undefined;
  threads: number | undefined;
  tempDirectory: string;
  timezone: string;
  allowed: string[];
}

async function lockDown(connection: DuckDBConnection, settings: LockdownSettings): Promise<void> {
  const set = async (option: string, setting: string, value: string | number) => {
    try {
      // `setting` is one of the constant names below; only the value comes from config.
      await connection.run(`SET ${setting} = $1`, [value]);
    } catch (error) {
      throw new OutflowError(
        'engine_invalid_setting',
        `invalid engine ${option} ${JSON.stringify(value)}: ${messageOf(error)}`,
        {
          hint: `fix engine.${option} in outflow.yaml`,
          cause: error,
        },
      );
    }
  };
  if (settings.memoryLimit !== undefined) await set('memoryLimit', 'memory_limit', settings.memoryLimit);
  if (settings.threads !== undefined) await set('threads', 'threads', settings.threads);
  await set('tempDirectory', 'temp_directory', settings.tempDirectory);
  await set('timezone', 'TimeZone', settings.timezone);
  await connection.run(
    'SET allowed_directories = $1',
    [duckdb.listValue(settings.allowed)],
    [duckdb.LIST(duckdb.VARCHAR)],
  );
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');

  // Trust, but verify: a DuckDB upgrade that silently ignored one of these must not run open.
  const reader = await connection.runAndReadAll(
    "SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked",
  );
  const state = reader.getRowObjects()[0];
  if (state?.external !== false || state.locked !== true) {
    throw new Error(`DuckDB lockdown did not take effect: ${JSON.stringify(reader.getRowObjectsJson())}`);
  }
}

class LockedEngine implements Engine {
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly database: string,
  ) {}

  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    const result = await this.query(() => this.connection.run(sql, toDuckDBParams(params)));
    return { rowsChanged: result.rowsChanged };
  }

  async all(sql: string, params?: SqlParams): Promise<Row[]> {
    const reader = await this.query(() => this.connection.runAndReadAll(sql, toDuckDBParams(params)));
    return reader.convertRowObjects(jsonSafeConverter) as Row[];
  }

  async stream(
    sql: string,
    params: SqlParams | undefined,
    onRows: (rows: Row[]) => Promise<void> | void,
  ): Promise<void> {
    const result = await this.query(() => this.connection.stream(sql, toDuckDBParams(params)));
    const chunks = result.yieldConvertedRowObjects(jsonSafeConverter);
    for (;;) {
      const next = await this.query(() => chunks.next());
      if (next.done === true) return;
      if (next.value.length > 0) await onRows(next.value as Row[]);
    }
  }

  interrupt(): void {
    if (!this.closed) this.connection.interrupt();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async query<T>(execute: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new OutflowError('engine_closed', `the DuckDB database ${this.database} is already closed`);
    }
    try {
      return await execute();
    } catch (error) {
      throw queryError(error);
    }
  }
}

function toDuckDBParams(
  params: SqlParams | undefined,
): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (params === undefined) return undefined;
  if (isList(params)) return [...params];
  return { ...params };
}

function isList(params: SqlParams): params is readonly SqlValue[] {
  return Array.isArray(params);
}

function queryError(error: unknown): OutflowError {
  const message = messageOf(error);
  if (message.startsWith('Permission Error')) {
    return new OutflowError('engine_access_denied', message, {
      hint: "DuckDB may only read and write files inside the project's data and staging folders",
      cause: error,
    });
  }
  return new OutflowError('engine_query_failed', message, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
