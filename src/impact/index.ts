// Data impact of a plan on the local warehouse: effectful, run after the pure plan and attached to it.

export { estimateBytes, estimateFiles } from './estimate.js';
export { bounded, computeImpact, type ImpactInput } from './impact.js';
