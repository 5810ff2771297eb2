/* Generated from schemas/*.schema.json by `npm run gen`. Do not edit. */
import type * as Schema from '../schema/types.gen.js';

export interface DefaultCondition {
  path: readonly string[];
  equals?: unknown;
  present?: true;
}
export interface DefaultEntry {
  /** Config path; `*` is every item of an array. */
  path: readonly string[];
  value: unknown;
  when?: readonly DefaultCondition[];
}

/** Every schema `default`, per kind (conditional entries first). */
export const DEFAULTS: Record<string, readonly DefaultEntry[]> = {
  Project: [{"path":["timezone"],"value":"UTC"},{"path":["sampleRows"],"value":1000},{"path":["lifecycle","protect"],"value":false}],
  Connection: [{"path":["forcePathStyle"],"value":true,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"s3"},{"path":["endpoint"],"present":true}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"local"}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"s3"}]},{"path":["forcePathStyle"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"s3"}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"gcs"}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"azure"}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"sftp"}]},{"path":["port"],"value":22,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"sftp"}]},{"path":["allowUnknownHost"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"sftp"}]},{"path":["lifecycle","protect"],"value":false,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"webhook"}]},{"path":["batchSize"],"value":500,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"webhook"}]},{"path":["concurrency"],"value":4,"when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"webhook"}]},{"path":["timeout"],"value":"30s","when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"webhook"}]},{"path":["retryFor"],"value":"300s","when":[{"path":["kind"],"equals":"Connection"},{"path":["type"],"equals":"webhook"}]}],
  Dataflow: [{"path":["lifecycle","protect"],"value":false},{"path":["source","format"],"value":"auto"},{"path":["schema","columns","*","mandatory"],"value":false},{"path":["writeMode"],"value":"append"},{"path":["onInvalid"],"value":"skip"}],
  Audience: [{"path":["lifecycle","protect"],"value":false},{"path":["subject"],"value":"customer"},{"path":["match"],"value":"all"}],
  Export: [{"path":["schedule","catchUp"],"value":"skip","when":[{"path":["schedule","every"],"present":true}]},{"path":["schedule","catchUp"],"value":"skip","when":[{"path":["schedule","cron"],"present":true}]},{"path":["mode"],"value":"full","when":[{"path":["from","audience"],"present":true}]},{"path":["lifecycle","protect"],"value":false},{"path":["compression"],"value":"none"},{"path":["layout"],"value":"flat"},{"path":["splitBy"],"value":"none"},{"path":["manifest"],"value":true},{"path":["mode"],"value":"incremental"},{"path":["enabled"],"value":true},{"path":["limits","onExceed"],"value":"warn"}],
  Activation: [{"path":["schedule","catchUp"],"value":"skip","when":[{"path":["schedule","every"],"present":true}]},{"path":["schedule","catchUp"],"value":"skip","when":[{"path":["schedule","cron"],"present":true}]},{"path":["lifecycle","protect"],"value":false},{"path":["segment","create"],"value":true},{"path":["updateMethod"],"value":"add"},{"path":["enabled"],"value":true}],
};

/** `T` with keys `K` present (distributes over unions; keys a member lacks are ignored). */
export type WithDefaults<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K & keyof T> & { [P in K & keyof T]-?: Exclude<T[P], undefined> }
  : never;
/** `T` whose object-valued keys named in `N` have their own defaulted keys present (optionality kept). */
export type WithNestedDefaults<T, N> = T extends unknown
  ? { [P in keyof T]: P extends keyof N ? NestedValue<T[P], N[P]> : T[P] }
  : never;
type NestedValue<V, K> = V extends undefined ? V : WithDefaults<V, K & PropertyKey>;

/** A Project as the model holds it: every schema default filled in. */
export type ResolvedProject = WithNestedDefaults<WithDefaults<Schema.Project, 'timezone' | 'sampleRows'>, { lifecycle: 'protect' }>;
/** A Connection as the model holds it: every schema default filled in. */
export type ResolvedConnection = WithNestedDefaults<WithDefaults<Schema.Connection, 'forcePathStyle' | 'port' | 'allowUnknownHost' | 'batchSize' | 'concurrency' | 'timeout' | 'retryFor'>, { lifecycle: 'protect' }>;
/** A Dataflow as the model holds it: every schema default filled in. */
export type ResolvedDataflow = WithNestedDefaults<WithDefaults<Schema.Dataflow, 'writeMode' | 'onInvalid'>, { lifecycle: 'protect'; source: 'format' }>;
/** A Audience as the model holds it: every schema default filled in. */
export type ResolvedAudience = WithNestedDefaults<WithDefaults<Schema.Audience, 'subject' | 'match'>, { lifecycle: 'protect' }>;
/** A Export as the model holds it: every schema default filled in. */
export type ResolvedExport = WithNestedDefaults<WithDefaults<Schema.Export, 'mode' | 'compression' | 'layout' | 'splitBy' | 'manifest' | 'enabled'>, { schedule: 'catchUp'; lifecycle: 'protect'; limits: 'onExceed' }>;
/** A Activation as the model holds it: every schema default filled in. */
export type ResolvedActivation = WithNestedDefaults<WithDefaults<Schema.Activation, 'updateMethod' | 'enabled'>, { schedule: 'catchUp'; lifecycle: 'protect'; segment: 'create' }>;
