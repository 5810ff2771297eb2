import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The events dataflow of issue 13's measurements (7 columns: bigint id, integer user, event name,
// timestamp, category, double price, email), as a config object (JSON is YAML), reading `path`.
export function issueEventsFlow(path) {
  return {
    kind: 'Dataflow',
    name: 'events',
    entity: 'event',
    source: { type: 'streamFile', path },
    schema: {
      name: 'events',
      personIdentifier: 'userid',
      eventName: 'event',
      eventTime: 'ts',
      columns: [
        { name: 'id', type: 'bigint', mandatory: true },
        { name: 'userid', type: 'integer', from: 'user_id', mandatory: true },
        { name: 'event', type: 'string', mandatory: true },
        { name: 'ts', type: 'timestamp', mandatory: true },
        { name: 'category', type: 'string' },
        { name: 'price', type: 'double' },
        { name: 'email', type: 'string' },
      ],
    },
    writeMode: 'append',
  };
}

const EVENTS = ['visit', 'view_item', 'search', 'add_to_cart', 'buy', 'refund', 'login', 'share'];
const CATEGORIES = ['Watches', 'Shoes', 'Bags', 'Books', 'Toys', 'Games', 'Garden', 'Music'];
const list = (xs) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/**
 * The SELECT of the issue's 7 event columns for ids `from` .. `to - 1`, deterministic (hashes of
 * the id), `users` distinct users; `ORDER BY i` unless `ordered` is false.
 */
export function eventsSelectSql({ users, from = 0, to, ordered = true }) {
  return `SELECT i::BIGINT AS id, (hash(i) % ${users} + 1)::INTEGER AS user_id,
    ${list(EVENTS)}[(hash(i + 7) % ${EVENTS.length} + 1)::INTEGER] AS event,
    TIMESTAMP '2026-11-20 12:00:00' - to_seconds((hash(i + 1000000007) % (90 * 86400))::BIGINT) AS ts,
    ${list(CATEGORIES)}[(hash(i + 11) % ${CATEGORIES.length} + 1)::INTEGER] AS category,
    CASE WHEN hash(i + 13) % 3 = 0 THEN ((hash(i + 3000000019) % 20000) / 100)::DOUBLE END AS price,
    'user' || (hash(i) % ${users} + 1) || '@example.com' AS email
    FROM range(${from}, ${to}) t(i)${ordered ? ' ORDER BY i' : ''}`;
}

/** YAML documents from config objects (JSON is YAML). */
const yamlDocs = (docs) => docs.map((o) => JSON.stringify(o, null, 1)).join('\n---\n');

/**
 * A bench project in `dir`: outflow.yaml (`name`, UTC, `engine`), and flows/main.yaml with a local
 * connection `out` (folder out/) followed by `docs`.
 */
export function writeBenchProject(dir, name, engine, docs) {
  mkdirSync(join(dir, 'flows'), { recursive: true });
  writeFileSync(join(dir, 'outflow.yaml'), yamlDocs([{ kind: 'Project', name, timezone: 'UTC', engine }]));
  writeFileSync(
    join(dir, 'flows', 'main.yaml'),
    yamlDocs([{ kind: 'Connection', name: 'out', type: 'local', root: 'out' }, ...docs]),
  );
}

/** Replaces the project's flows/exports.yaml with `exports`. */
export function writeBenchExports(dir, exports) {
  writeFileSync(join(dir, 'flows', 'exports.yaml'), yamlDocs(exports));
}
