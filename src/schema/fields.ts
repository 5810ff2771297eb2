/** Connection fields that hold secrets: references only, and `(sensitive)` wherever they are shown. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'secretAccessKey',
  'serviceAccountKey',
  'connectionString',
  'password',
  'privateKey',
  'clientSecret',
]);

/**
 * Connection fields where `${env:NAME}` / `${file:path}` references are resolved (sftp's
 * `knownHosts` is public, but is usually kept in a known_hosts file).
 */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  ...SECRET_FIELDS,
  'accessKeyId',
  'clientId',
  'username',
  'knownHosts',
  // An azure account or container URL: plain, or a reference when it carries a SAS token.
  'accountUrl',
]);
