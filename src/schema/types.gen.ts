/* Generated from schemas/*.schema.json by `npm run gen` (json-schema-to-typescript). Do not edit. */

/**
 * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
 */
export type Name = string;
/**
 * Free text shown in plans and `outflow status`.
 */
export type Description = string;
/**
 * Where things go, and the credentials to get there. Secret fields take only `${env:NAME}` or `${file:path}` references.
 */
export type Connection = Connection1 & Connection2;
export type Connection1 =
  LocalConnection | S3Connection | GcsConnection | AzureConnection | SftpConnection | WebhookConnection;
/**
 * One condition: `did`, `didNot`, `have`, or a nested `all` / `any` group.
 */
export type Condition = DidCondition | DidNotCondition | HaveCondition | AllGroup | AnyGroup;
/**
 * Comparison: `=`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is null`, `is not null`.
 */
export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is null' | 'is not null';
/**
 * The value to compare with: a string, number or boolean, or a list for `in` / `not in`; omitted for `is null`.
 */
export type Value = (string | number | boolean) | (string | number | boolean)[];
/**
 * A column name: a letter or underscore, then letters, digits or underscores (at most 63 characters).
 */
export type ColumnName = string;
/**
 * When the export or activation runs: `{every: 4h}` (1h to 24h), `{cron: "0 3 * * *", timezone: Europe/Paris}` (exactly 5 fields) or `{once: {lookback: 45d}}` (one run covering at most the last 45 days).
 */
export type Schedule = Every | Cron | Once;
/**
 * Run every N hours, from 1h to 24h, anchored to the first run.
 */
export type EveryInterval = string;
/**
 * What to do about runs missed while nothing ran: `skip` (default: one run now covers everything since the last successful run) or `all` (one run per missed slot).
 */
export type CatchUp = 'skip' | 'all';
/**
 * An IANA time zone name, for example `Europe/Paris` or `UTC`.
 */
export type Timezone = string;

export interface OutflowDocuments {
  Project?: Project;
  Connection?: Connection;
  Dataflow?: Dataflow;
  Audience?: Audience;
  Export?: Export;
  Activation?: Activation;
}
/**
 * The project: one per repository, in `outflow.yaml`.
 */
export interface Project {
  /**
   * Always `Project`.
   */
  kind: 'Project';
  name: Name;
  description?: Description;
  labels?: Labels;
  /**
   * IANA time zone of the project (default `UTC`): cron schedules without their own `timezone` run in it, and export paths' `{exportTime}` and `{date}` tokens show the run's wall-clock time in it (a run at 23:30 UTC is dated the next day in `Europe/Paris`). `{runId}` is always UTC.
   */
  timezone?: string;
  /**
   * Where outflow keeps its state (what was applied, ingested and exported).
   */
  state?: {
    /**
     * `local` (a file in the project, default) or a bucket: `s3`, `gcs`, `azure`.
     */
    backend: 'local' | 's3' | 'gcs' | 'azure';
    /**
     * For `local`: the state file, relative to the project (default `.outflow/state.json`).
     */
    path?: string;
    /**
     * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
     */
    connection?: string;
    /**
     * For `s3`, `gcs`, `azure`: the folder under the connection's prefix that holds `state.json` and the lock `state.lock` (and, later, the warehouse data).
     */
    prefix?: string;
  };
  /**
   * The embedded DuckDB engine.
   */
  engine?: {
    /**
     * The warehouse file, relative to the project (default `.outflow/warehouse.duckdb`).
     */
    database?: string;
    /**
     * DuckDB's memory limit, for example `2GB` (default: DuckDB's, 80% of RAM).
     */
    memoryLimit?: string;
    /**
     * Number of DuckDB worker threads (default: number of cores).
     */
    threads?: number;
  };
  /**
   * Rows per dataflow used by `--draft` runs (default 1000).
   */
  sampleRows?: number;
  lifecycle?: Lifecycle;
}
/**
 * Key/value labels for filtering and ownership (for example `team: crm`). Order does not matter.
 */
export interface Labels {
  [k: string]: string;
}
/**
 * Lifecycle rules for this resource.
 */
export interface Lifecycle {
  /**
   * When true, a plan that would delete or replace this resource fails instead.
   */
  protect?: boolean;
}
/**
 * A folder on local disk.
 */
export interface LocalConnection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'local';
  /**
   * The destination folder, relative to the project (it may not escape the project).
   */
  root: string;
}
/**
 * An Amazon S3 (or S3-compatible) bucket.
 */
export interface S3Connection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 's3';
  /**
   * Bucket name.
   */
  bucket: string;
  /**
   * Key prefix under which everything is written (no leading `/`, no `..`).
   */
  prefix?: string;
  /**
   * AWS region, for example `eu-west-1`.
   */
  region: string;
  /**
   * Custom endpoint URL for S3-compatible services (MinIO, Ceph, a local s3rver); path-style addressing is then the default.
   */
  endpoint?: string;
  /**
   * Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Default true when `endpoint` is set, false for AWS.
   */
  forcePathStyle?: boolean;
  /**
   * Access key id (literal or reference). Omit to use the SDK default credential chain.
   */
  accessKeyId?: string;
  /**
   * Secret access key: `${env:NAME}` or `${file:path}` only. Omit to use the SDK default credential chain.
   */
  secretAccessKey?: string;
}
/**
 * A Google Cloud Storage bucket.
 */
export interface GcsConnection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'gcs';
  /**
   * Bucket name.
   */
  bucket: string;
  /**
   * Key prefix under which everything is written (no leading `/`, no `..`).
   */
  prefix?: string;
  /**
   * Google Cloud project id (optional).
   */
  projectId?: string;
  /**
   * Service account key JSON: `${env:NAME}` or `${file:path}` only. Omit to use Application Default Credentials.
   */
  serviceAccountKey?: string;
}
/**
 * An Azure Blob Storage container.
 */
export interface AzureConnection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'azure';
  /**
   * Container name.
   */
  container: string;
  /**
   * Key prefix under which everything is written (no leading `/`, no `..`).
   */
  prefix?: string;
  /**
   * Account URL (`https://acct.blob.core.windows.net`) or container URL, instead of a connection string. With a SAS token (`…?sv=…&sig=…`, like the container SAS URL of the Adobe Data Landing Zone) it is a secret: write it as `${env:NAME}` or `${file:path}`. Without a SAS token, the default Azure credential chain is used.
   */
  accountUrl?: string;
  /**
   * Storage connection string: `${env:NAME}` or `${file:path}` only.
   */
  connectionString?: string;
}
/**
 * An SFTP server.
 */
export interface SftpConnection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'sftp';
  /**
   * Host name or IP address.
   */
  host: string;
  /**
   * TCP port (default 22).
   */
  port?: number;
  /**
   * User name (literal or reference).
   */
  username: string;
  /**
   * Remote folder everything is written under.
   */
  root: string;
  /**
   * Password: `${env:NAME}` or `${file:path}` only.
   */
  password?: string;
  /**
   * Private key: `${env:NAME}` or `${file:path}` only.
   */
  privateKey?: string;
  /**
   * OpenSSH `known_hosts` lines (`host key-type base64`, including the `[host]:port` form and hashed `|1|…` hosts), or `${file:path}` to such a file; the server's host key must match one of them.
   */
  knownHosts?: string;
  /**
   * Accept any host key when `knownHosts` is not given (default false: an unknown host is refused). A host key that does not match `knownHosts` is always refused.
   */
  allowUnknownHost?: boolean;
}
/**
 * An HTTP endpoint receiving audience membership (activations).
 */
export interface WebhookConnection {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Globs (relative to the project) of the files allowed to use this connection. Default: every file. The config-as-code form of "administrators create connections, contributors use shared ones".
   *
   * @maxItems 100
   */
  shareWith?: string[];
  /**
   * Audience subjects this destination accepts (B2B eligibility), for example `[contact]` for a contact-focused system. Default: all.
   *
   * @minItems 1
   */
  subjects?: [
    'customer' | 'visitor' | 'contact' | 'account',
    ...('customer' | 'visitor' | 'contact' | 'account')[]
  ];
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'webhook';
  /**
   * The receiver's full endpoint, for example `https://cms.example.com/cdp/webhook`: every batch is a `POST` to exactly this URL (see docs/activations.md).
   */
  baseUrl: string;
  /**
   * Client id: the user of `Authorization: Basic`, or the OAuth2 client id (literal or reference).
   */
  clientId: string;
  /**
   * Client secret: `${env:NAME}` or `${file:path}` only. It keys the HMAC signature of every request (Standard Webhooks; a `whsec_<base64>` secret is used decoded) and authenticates the client.
   */
  clientSecret: string;
  /**
   * Members per request (default 500).
   */
  batchSize?: number;
  /**
   * Batches of one sync in flight at once (default 4; 1 sends strictly one after another). A kill -9 re-sends at most this many batches, with their webhook-ids.
   */
  concurrency?: number;
  /**
   * How long one request may take before it is abandoned and retried, for example `30s` (default).
   */
  timeout?: string;
  /**
   * How long a batch is retried (408, 429, 5xx, timeouts, resets) before the sync fails, for example `300s` (default).
   */
  retryFor?: string;
  /**
   * How the client authenticates: `{type: basic}` (default: `Authorization: Basic base64(clientId:clientSecret)`) or `{type: oauth2, tokenUrl}` (a client-credentials token, fetched once per run and refreshed on 401).
   */
  auth?: BasicAuth | OAuth2ClientCredentials;
}
export interface BasicAuth {
  /**
   * HTTP Basic with clientId and clientSecret.
   */
  type: 'basic';
}
export interface OAuth2ClientCredentials {
  /**
   * OAuth 2.0 client credentials (RFC 6749 §4.4).
   */
  type: 'oauth2';
  /**
   * The token endpoint, for example `https://login.example.com/oauth2/token`.
   */
  tokenUrl: string;
  /**
   * Space-separated scopes to request (optional).
   */
  scope?: string;
}
export interface Connection2 {
  /**
   * Always `Connection`.
   */
  kind: 'Connection';
  name: Name;
  /**
   * Connection type: local, s3, gcs, azure, sftp or webhook.
   */
  type: 'local' | 's3' | 'gcs' | 'azure' | 'sftp' | 'webhook';
}
/**
 * A source of data (stream files), mapped onto a schema and kept in the warehouse.
 */
export interface Dataflow {
  /**
   * Always `Dataflow`.
   */
  kind: 'Dataflow';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * What the rows are: `user`, `product`, `content` or `event`.
   */
  entity: 'user' | 'product' | 'content' | 'event';
  /**
   * Where the rows come from.
   */
  source: {
    /**
     * `streamFile`: files dropped in a folder; each file is ingested once.
     */
    type: 'streamFile';
    /**
     * Glob of the stream files, relative to the project (for example `data/users/*.csv`), or with `connection` relative to `prefix` (for example `*.csv`). May not be absolute or contain `..`.
     */
    path?: string;
    /**
     * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
     */
    connection?: string;
    /**
     * With `connection`: the folder in the store holding the stream files (`incoming/users`; a trailing slash or none means the same).
     */
    prefix?: string;
    /**
     * File format: `auto` (by extension and content, default), `csv`, `json` (an array), `ndjson` or `parquet`.
     */
    format?: 'auto' | 'csv' | 'json' | 'ndjson' | 'parquet';
    /**
     * CSV parse options for when auto-detection is wrong.
     */
    csv?: {
      /**
       * Field delimiter (one character, default `,`).
       */
      delimiter?: string;
      /**
       * Whether the first line holds column names (default true).
       */
      header?: boolean;
      /**
       * Quote character (default `"`).
       */
      quote?: string;
      /**
       * Escape character inside quotes (default `"`).
       */
      escape?: string;
      /**
       * Text that means NULL (default: empty field).
       */
      nullString?: string;
      /**
       * Lines to skip before the header.
       */
      skipRows?: number;
    };
  };
  /**
   * The schema the source is mapped onto.
   */
  schema: {
    /**
     * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
     */
    name: string;
    /**
     * The schema family: `PersonalData`, `Catalog`, `Events` or `Content`.
     */
    parent?: 'PersonalData' | 'Catalog' | 'Events' | 'Content';
    /**
     * The column that identifies a person (required for `upsert`, audiences and activations).
     */
    personIdentifier?: string;
    /**
     * For `entity: event`: the timestamp column of the event.
     */
    eventTime?: string;
    /**
     * For `entity: event`: the column holding the event name (for example `buy`).
     */
    eventName?: string;
    /**
     * The columns of the dataset, each mapped from a source column (`from`) or computed (`expr`).
     *
     * @minItems 1
     * @maxItems 1000
     */
    columns: [
      {
        /**
         * Column name in the dataset.
         */
        name: string;
        /**
         * Column type: `string`, `integer`, `bigint`, `double`, `decimal(p,s)`, `boolean`, `date`, `timestamp` or `json`.
         */
        type: string;
        /**
         * The source column to read (default: the same name).
         */
        from?: string;
        /**
         * A restricted SQL expression over source columns, for example `first_name || ' ' || last_name` (no subqueries, table or file functions).
         */
        expr?: string;
        /**
         * Rows where this column is empty or fails to cast are invalid (see `onInvalid`).
         */
        mandatory?: boolean;
        description?: Description;
      },
      ...{
        /**
         * Column name in the dataset.
         */
        name: string;
        /**
         * Column type: `string`, `integer`, `bigint`, `double`, `decimal(p,s)`, `boolean`, `date`, `timestamp` or `json`.
         */
        type: string;
        /**
         * The source column to read (default: the same name).
         */
        from?: string;
        /**
         * A restricted SQL expression over source columns, for example `first_name || ' ' || last_name` (no subqueries, table or file functions).
         */
        expr?: string;
        /**
         * Rows where this column is empty or fails to cast are invalid (see `onInvalid`).
         */
        mandatory?: boolean;
        description?: Description;
      }[]
    ];
  };
  /**
   * `append` (new rows added, existing kept; default), `overwrite` (dataset replaced by the current files on every apply) or `upsert` (latest row per personIdentifier wins).
   */
  writeMode?: 'append' | 'overwrite' | 'upsert';
  /**
   * Rows with a missing mandatory value or a failed cast: `skip` (written to a reject report; default) or `fail` (the dataflow is aborted and nothing is written).
   */
  onInvalid?: 'skip' | 'fail';
}
/**
 * People selected by what they did, did not do, and have.
 */
export interface Audience {
  /**
   * Always `Audience`.
   */
  kind: 'Audience';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
   */
  people: string;
  /**
   * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
   */
  events?: string;
  /**
   * Who the members are: `customer` (default), `visitor`, `contact` or `account` (B2B eligibility for destinations).
   */
  subject?: 'customer' | 'visitor' | 'contact' | 'account';
  /**
   * How the top-level conditions combine: `all` (AND, default) or `any` (OR).
   */
  match?: 'all' | 'any';
  /**
   * The conditions; nest with `{all: [...]}` and `{any: [...]}`.
   *
   * @minItems 1
   * @maxItems 200
   */
  conditions: [Condition, ...Condition[]];
}
/**
 * The person did an event (at least `atLeast` times) within the window.
 */
export interface DidCondition {
  /**
   * The event name, for example `buy`.
   */
  did: string;
  /**
   * Window `(now - within, now]`; omit for all time.
   */
  within?: string;
  /**
   * Minimum number of such events (default 1).
   */
  atLeast?: number;
}
/**
 * The person did not do an event within the window.
 */
export interface DidNotCondition {
  /**
   * The event name, for example `add_to_cart`.
   */
  didNot: string;
  /**
   * Window `(now - within, now]`; omit for all time.
   */
  within?: string;
}
/**
 * The person has a trait value, an aggregate over events, or a most frequent value.
 */
export interface HaveCondition {
  /**
   * `{trait, op, value}`, `{aggregate, of, event, within, op, value}` or `{top, event, within, op, value}`.
   */
  have: TraitPredicate | AggregatePredicate | TopPredicate;
}
/**
 * Compare a column of the people dataflow.
 */
export interface TraitPredicate {
  /**
   * A column of the people dataflow.
   */
  trait: string;
  op: Op;
  value?: Value;
}
/**
 * Compare an aggregate (count, sum, avg, min, max) of an event column within a window.
 */
export interface AggregatePredicate {
  /**
   * `count`, `sum`, `avg`, `min` or `max`.
   */
  aggregate: 'count' | 'sum' | 'avg' | 'min' | 'max';
  /**
   * The event column aggregated (not needed for `count`).
   */
  of?: string;
  /**
   * The event name the aggregate is over.
   */
  event: string;
  /**
   * Window `(now - within, now]`; omit for all time.
   */
  within?: string;
  op: Op;
  value: Value;
}
/**
 * Compare the most frequent value of an event column within a window.
 */
export interface TopPredicate {
  /**
   * The event column whose most frequent value is compared.
   */
  top: string;
  /**
   * The event name.
   */
  event: string;
  /**
   * Window `(now - within, now]`; omit for all time.
   */
  within?: string;
  op: Op;
  value: Value;
}
/**
 * Every nested condition must hold (AND).
 */
export interface AllGroup {
  /**
   * Nested conditions.
   *
   * @minItems 1
   * @maxItems 200
   */
  all: [Condition, ...Condition[]];
}
/**
 * At least one nested condition must hold (OR).
 */
export interface AnyGroup {
  /**
   * Nested conditions.
   *
   * @minItems 1
   * @maxItems 200
   */
  any: [Condition, ...Condition[]];
}
/**
 * A dataset, event stream or audience written as files to a destination, once or on a schedule.
 */
export interface Export {
  /**
   * Always `Export`.
   */
  kind: 'Export';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * `segment` (the chosen `fields`) or `dataOut` (all fields; the manifest also carries the schema).
   */
  type: 'segment' | 'dataOut';
  /**
   * What is exported: `{audience: NAME}`, `{dataflow: NAME}` or `{dataflow: NAME, events: [buy, visit]}`.
   */
  from: {
    [k: string]: unknown;
  } & {
    /**
     * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
     */
    audience?: string;
    /**
     * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
     */
    dataflow?: string;
    /**
     * For an event dataflow: only these event names.
     *
     * @minItems 1
     * @maxItems 500
     */
    events?: [string, ...string[]];
  };
  /**
   * The columns exported (required for `segment`). Order is the column order in the files.
   *
   * @minItems 1
   * @maxItems 1000
   */
  fields?: [ColumnName, ...ColumnName[]];
  /**
   * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
   */
  destination: string;
  /**
   * File format: `parquet`, `csv` (with header), `json` (an array), `ndjson` or `xml`.
   */
  format: 'parquet' | 'csv' | 'json' | 'ndjson' | 'xml';
  /**
   * `none` (default), `gzip`, `zstd` or `snappy` (snappy for parquet only).
   */
  compression?: 'none' | 'gzip' | 'zstd' | 'snappy';
  /**
   * File path template under the destination. Tokens: `{export}`, `{dataset}`, `{runId}`, `{event}`, `{index}`, `{ext}`, `{exportTime:yyyyMMddHHmm}`, `{date:yyyyMMdd}`. Default `{export}/{runId}/{export}-{index}.{ext}`. No `..`, no leading `/`. `{exportTime}` and `{date}` are the run's time in the project's `timezone` (`{runId}` stays UTC). A value from the data (`{event}`) is made one safe path segment: characters other than `A-Z a-z 0-9 _ . = -` become `_`, leading and trailing dots become `_`, an empty value `_`, Windows device names (`CON`, `NUL`…) get a leading `_`, and a changed (or over 200 bytes long) value ends in `-` and 8 hex digits of its sha256, so distinct events keep distinct files; a path segment over 255 bytes is cut the same way, keeping its `.{ext}`. The run's folder (where its manifest goes, for an empty run too) is the path up to the last `/` before the first `{event}` or `{index}`.
   */
  path?: string;
  /**
   * How each row is shaped in the files. `flat` (default): the exported fields as columns (an XML export of an event dataflow keeps its `<Event>` elements). `clevertap` (event dataflows only): CleverTap's event export layout, as in its Data Export documentation: `profile` (the person identifier as `identity`, then the `clevertap.profile` columns), `ts` (the event time as the number yyyyMMddHHmmss, in UTC), `eventName`, `deviceInfo` (the `clevertap.deviceInfo` columns) and `eventProps` (every other exported field). JSON and NDJSON files start with a line holding the event name, then one object per line (needs `splitBy: event`; compression none or gzip); XML has `<Event>` elements with `<eventProps>` entries; Parquet has `ts` BIGINT, `eventName` and STRUCT columns. No CSV form.
   */
  layout?: 'flat' | 'clevertap';
  /**
   * With `layout: clevertap`: which columns go to `profile` and `deviceInfo`, and the keys they are written under. Every other exported field goes to `eventProps` (the person identifier, event time and event name have their own places).
   */
  clevertap?: {
    /**
     * Columns written in `profile`, in this order, after the person identifier (which comes first unless it is listed here). Default: the person identifier only.
     *
     * @maxItems 1000
     */
    profile?: ColumnName[];
    /**
     * Columns written in `deviceInfo`, in this order. Default: none (then JSON and Parquet have no `deviceInfo` and XML no `<deviceInfo>`).
     *
     * @maxItems 1000
     */
    deviceInfo?: ColumnName[];
    /**
     * The key a column is written under, when it is not the column's name: `{identity: all_identities, ct_source: CT Source}`. The person identifier's key defaults to `identity`; `ts` and `eventName` are fixed.
     */
    keys?: {
      [k: string]: string;
    };
  };
  /**
   * `event`: one series of files per event name (event dataflows only); `none` (default).
   */
  splitBy?: 'none' | 'event';
  /**
   * Split the output into files of at most `maxRows` rows or `maxBytes` bytes.
   */
  chunk?: {
    /**
     * Rows per file.
     */
    maxRows?: number;
    /**
     * Bytes per file, for example `100MB`.
     */
    maxBytes?: number | string;
  };
  /**
   * Publish a JSON manifest `_manifest-{runId}.json` in the run's folder, after the data files (default true). It is the run's completion signal and lists every file with its rows, bytes and sha256. With `false` only the data files are published (each still atomically, at its deterministic name) and the run is recorded once they are: a consumer then has no completion signal, no file list, row counts or checksums to check, and cannot tell a partial run (interrupted, to be retried) from a complete one. `validate` warns about it.
   */
  manifest?: boolean;
  /**
   * `incremental` (rows ingested since the last successful run; the default for dataflow sources) or `full` (everything, every run; the default, and the only mode, for audience sources).
   */
  mode?: 'incremental' | 'full';
  schedule?: Schedule;
  /**
   * `false` keeps the export but never runs it ("schedule off"). Default true.
   */
  enabled?: boolean;
  /**
   * Size limits checked at run time.
   */
  limits?: {
    /**
     * Maximum rows per run.
     */
    maxRows: number;
    /**
     * `warn` (run anyway and warn; default) or `skip` (do not run; record a skipped run with the reason).
     */
    onExceed?: 'warn' | 'skip';
  };
}
export interface Every {
  every: EveryInterval;
  catchUp?: CatchUp;
}
export interface Cron {
  /**
   * A 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in `timezone`.
   */
  cron: string;
  timezone?: Timezone;
  catchUp?: CatchUp;
}
export interface Once {
  /**
   * A one-time run on the first apply or run after this config was applied.
   */
  once: {
    /**
     * How far back the one-time export reaches (at most 45d).
     */
    lookback?: string;
  };
}
/**
 * Audience membership pushed to a webhook (for example a CMS's `/cdp/webhook`).
 */
export interface Activation {
  /**
   * Always `Activation`.
   */
  kind: 'Activation';
  name: Name;
  description?: Description;
  labels?: Labels;
  lifecycle?: Lifecycle;
  /**
   * Resource name: a lower-case letter, then lower-case letters, digits or underscores (at most 63 characters). Unique per kind.
   */
  destination: string;
  /**
   * The Audiences whose membership is synced.
   *
   * @minItems 1
   * @maxItems 100
   */
  audiences: [Name, ...Name[]];
  /**
   * A column name: a letter or underscore, then letters, digits or underscores (at most 63 characters).
   */
  personIdentifier: string;
  /**
   * The group the receiver files the segments under.
   */
  segmentGroup?: string;
  /**
   * The receiver's segment the members go to: `name` defaults to the audience's name; `create: true` (default) lets the receiver create it, `false` means it must already exist (CDP 365's "existing segment"). With several audiences, leave `name` out: each audience is its own segment.
   */
  segment?: {
    /**
     * Segment name (default: the audience's name).
     */
    name?: string;
    /**
     * `true` (default): a new segment, created by the receiver if missing; `false`: an existing segment.
     */
    create?: boolean;
  };
  /**
   * `add` (default: keep members, send only new ones) or `replace` (send additions and removals: the segment becomes exactly the audience).
   */
  updateMethod?: 'add' | 'replace';
  /**
   * Attributes sent with every added member exactly as written (string, number, boolean or null). Changing them re-sends every member.
   */
  attributes?: {
    [k: string]: string | number | boolean | null;
  };
  schedule?: Schedule;
  /**
   * `false` keeps the activation but never runs it. Default true.
   */
  enabled?: boolean;
}

export type Resource = Project | Connection | Dataflow | Audience | Export | Activation;
export type ResourceKind = Resource['kind'];
