import type { Audience } from '../schema/index.js';
import type { Engine } from './engine.js';
import type { Row } from './json-values.js';
import { audienceSql, type FlowRef, latestPeopleSql, personIdentifierOf } from './sql/audience-sql.js';
import { keepLatestPerPersonSql } from './sql/dataset-sql.js';
import { quoteIdent } from './sql/quote.js';

/** The audience's members (person identifiers), ordered; `now` fixes the windows. */
export async function audienceMembers(
  engine: Engine,
  audience: Audience,
  people: FlowRef,
  events: FlowRef | undefined,
  now: Date,
): Promise<(string | number)[]> {
  const q = audienceSql(audience, people, events, now);
  const rows = await engine.all(q.sql, q.params);
  return rows.map((r) => r.person_id as string | number);
}

/** Member count and the people rows of the first `sampleSize` members (by person id). */
export async function previewAudience(
  engine: Engine,
  audience: Audience,
  people: FlowRef,
  events: FlowRef | undefined,
  now: Date,
  sampleSize = 10,
): Promise<{ count: number; sample: Row[] }> {
  const q = audienceSql(audience, people, events, now);
  const [counted] = await engine.all(`SELECT count(*) AS n FROM (${q.sql})`, q.params);
  const m = membersWithPeopleSql(q.sql, people);
  const sample = await engine.all(`${m} LIMIT ${Math.max(0, Math.floor(sampleSize))}`, q.params);
  return { count: Number(counted?.n ?? 0), sample };
}

/**
 * The declared people columns of each member, ordered by person id. `membersSql` is an
 * audience query (its parameters stay bound in the same positions).
 */
export function membersWithPeopleSql(membersSql: string, people: FlowRef): string {
  const pid = quoteIdent(personIdentifierOf(people, 'people'));
  const columns = people.config.schema.columns.map((c) => `p.${quoteIdent(c.name)}`).join(', ');
  return `SELECT ${columns}, p._seq FROM (${latestPeopleSql(people)}) p JOIN (${membersSql}) m ON m.person_id = p.${pid} ORDER BY p.${pid}`;
}

/**
 * Makes an `upsert` dataflow's table hold one row per person again, as every upsert ingest does:
 * needed when a dataflow becomes `upsert` (or changes its person identifier) without new files,
 * since audiences then read the table without a latest-row window (latestPeopleSql).
 */
export async function keepLatestPerPerson(engine: Engine, flow: FlowRef): Promise<void> {
  const q = keepLatestPerPersonSql(flow.name, personIdentifierOf(flow, 'people'));
  await engine.run(q.sql, q.params);
}
