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
