import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The activation tests' project, written into an empty folder. */
export interface ActivationProjectOptions {
  /** The webhook receiver's base URL. */
  url: string;
  updateMethod?: 'add' | 'replace';
  batchSize?: number;
  /** Batches in flight (default 1, so requests arrive in a known order). */
  concurrency?: number;
  attributes?: string;
  segment?: string;
  /** Map the users' email column too (their CSV files have one). */
  email?: boolean;
  /** Appended to outflow.yaml (a `state:` block) and to connections.yaml (more Connections). */
  projectExtra?: string;
  connectionExtra?: string;
}

/**
 * users (upsert, from data/users/*.csv) → audience eu_customers (country FR or DE) → Activation
 * newsletter, to the webhook Connection cms (secret `${env:CMS_SECRET}`).
 */
export function writeActivationProject(dir: string, o: ActivationProjectOptions): void {
  mkdirSync(join(dir, 'flows'), { recursive: true });
  mkdirSync(join(dir, 'data', 'users'), { recursive: true });
  writeFileSync(
    join(dir, 'outflow.yaml'),
    `kind: Project\nname: act\ntimezone: UTC\n${o.projectExtra ?? ''}`,
  );
  writeFileSync(
    join(dir, 'flows', 'connections.yaml'),
    `kind: Connection
name: cms
type: webhook
baseUrl: ${o.url}
clientId: outflow-test
clientSecret: \${env:CMS_SECRET}
batchSize: ${o.batchSize ?? 3}
concurrency: ${o.concurrency ?? 1}
timeout: 2s
retryFor: 30s
${o.connectionExtra ?? ''}`,
  );
  writeFileSync(join(dir, 'flows', 'main.yaml'), activationFlows(o));
}

/** flows/main.yaml of the activation project. */
export function activationFlows(o: Omit<ActivationProjectOptions, 'url'>): string {
  return `kind: Dataflow
name: users
entity: user
source: {type: streamFile, path: data/users/*.csv, format: csv}
schema:
  name: customers
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id, mandatory: true}
${o.email === true ? '    - {name: email, type: string, from: email}\n' : ''}    - {name: country, type: string, from: country}
writeMode: upsert
---
kind: Audience
name: eu_customers
people: users
subject: customer
conditions:
  - have: {trait: country, op: in, value: [FR, DE]}
---
kind: Activation
name: newsletter
destination: cms
audiences: [eu_customers]
personIdentifier: userid
segmentGroup: cdp_audiences
${o.segment ?? ''}
updateMethod: ${o.updateMethod ?? 'replace'}
attributes: ${o.attributes ?? '{newsletter: "yes", channel: null}'}
schedule: {every: 1h}
`;
}
