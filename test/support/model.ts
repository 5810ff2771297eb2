import {
  address,
  emptyModel,
  type Kind,
  type Model,
  type ResourceNode,
  withDefaults,
} from '../../src/model/index.js';

/** A model from plain config objects (already schema-valid), defaults resolved as buildModel does, for pure plan tests. */
export function modelOf(...configs: Record<string, unknown>[]): Model {
  const model = emptyModel();
  configs.forEach((config, i) => {
    const kind = config.kind as Kind;
    const name = String(config.name);
    const node = {
      kind,
      name,
      address: address(kind, name),
      config: withDefaults(kind, config),
      file: 'flows/test.yaml',
      locate: () => ({ file: 'flows/test.yaml', line: i + 1, column: 1 }),
    } as unknown as ResourceNode;
    (model.resources[kind] as Map<string, ResourceNode>).set(name, node);
    if (kind === 'Project') model.project = node as ResourceNode<'Project'>;
  });
  return model;
}

export const users = (over: Record<string, unknown> = {}) => ({
  kind: 'Dataflow',
  name: 'users',
  entity: 'user',
  labels: { team: 'crm', owner: 'ana' },
  source: { type: 'streamFile', path: 'data/users/*.csv' },
  schema: {
    name: 'customers',
    personIdentifier: 'userid',
    columns: [
      { name: 'userid', type: 'integer', from: 'id', mandatory: true },
      { name: 'email', type: 'string', mandatory: true },
      { name: 'country', type: 'string' },
    ],
  },
  ...over,
});

export const exportOf = (over: Record<string, unknown> = {}) => ({
  kind: 'Export',
  name: 'buyers',
  type: 'segment',
  from: { dataflow: 'users' },
  fields: ['userid', 'email'],
  destination: 'out',
  format: 'csv',
  ...over,
});
