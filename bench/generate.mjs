// Generates a synthetic outflow project with N resources (connections, dataflows, audiences, exports).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateProject(dir, resources) {
  mkdirSync(join(dir, 'flows'), { recursive: true });
  writeFileSync(join(dir, 'outflow.yaml'), 'kind: Project\nname: bench\ntimezone: Europe/Paris\n');
  const groups = Math.max(1, Math.floor(resources / 5));
  let docs = [];
  let file = 0;
  const flush = () => {
    if (docs.length === 0) return;
    writeFileSync(join(dir, 'flows', `group-${String(file++).padStart(4, '0')}.yaml`), docs.join('---\n'));
    docs = [];
  };
  for (let g = 0; g < groups; g++) {
    docs.push(`kind: Connection\nname: out_${g}\ntype: local\nroot: out/${g}\nlabels: {team: t${g % 7}}\n`);
    docs.push(
      `kind: Dataflow\nname: users_${g}\nentity: user\nsource: {type: streamFile, path: data/users_${g}/*.csv}\nschema:\n  name: customers_${g}\n  personIdentifier: userid\n  columns:\n    - {name: userid, type: integer, from: id, mandatory: true}\n    - {name: email, type: string, mandatory: true}\n    - {name: country, type: string}\n    - {name: signup, type: date}\n    - {name: domain, type: string, expr: "lower(split_part(email, '@', 2))"}\nwriteMode: upsert\n`,
    );
    docs.push(
      `kind: Dataflow\nname: events_${g}\nentity: event\nsource: {type: streamFile, path: data/events_${g}/*.ndjson}\nschema:\n  name: events_${g}\n  personIdentifier: userid\n  eventTime: ts\n  eventName: event\n  columns:\n    - {name: userid, type: integer}\n    - {name: event, type: string}\n    - {name: ts, type: timestamp}\n    - {name: price, type: "decimal(12,2)"}\n`,
    );
    docs.push(
      `kind: Audience\nname: buyers_${g}\npeople: users_${g}\nevents: events_${g}\nconditions:\n  - did: buy\n    within: 30d\n  - didNot: add_to_cart\n    within: 7d\n  - have: {aggregate: sum, of: price, event: buy, within: 90d, op: ">", value: 100}\n  - have: {trait: country, op: in, value: [FR, DE]}\n`,
    );
    docs.push(
      `kind: Export\nname: buyers_${g}_daily\ntype: segment\nfrom: {audience: buyers_${g}}\nfields: [userid, email]\ndestination: out_${g}\nformat: parquet\ncompression: zstd\nmode: full\npath: "{export}/{runId}/{export}-{index}.{ext}"\nschedule: {cron: "0 3 * * *", timezone: Europe/Paris}\n`,
    );
    if (docs.length >= 50) flush();
  }
  flush();
  return groups * 5;
}
