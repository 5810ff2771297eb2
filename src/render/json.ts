import type { Plan } from '../plan/index.js';

/** The Plan as JSON (schema: `schemas/plan.schema.json`); the one value every other renderer reads. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
