import type { Dataflow } from '../schema/index.js';
import type { Model } from './model.js';

export function columnNames(flow: Dataflow): string[] {
  return flow.schema.columns.map((c) => c.name);
}

export function columnType(flow: Dataflow, name: string): string | undefined {
  return flow.schema.columns.find((c) => c.name === name)?.type;
}

/** The dataflow whose columns an export or audience exposes, when the references resolve. */
export function peopleFlowOf(model: Model, audienceName: string): Dataflow | undefined {
  const audience = model.resources.Audience.get(audienceName)?.config;
  return audience === undefined ? undefined : model.resources.Dataflow.get(audience.people)?.config;
}
