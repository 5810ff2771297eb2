export { columnNames, columnType, peopleFlowOf } from './columns.js';
export type {
  ResolvedActivation,
  ResolvedAudience,
  ResolvedConnection,
  ResolvedDataflow,
  ResolvedExport,
  ResolvedProject,
} from './defaults.gen.js';
export { withDefaults } from './defaults.js';
export {
  buildGraph,
  type Reference,
  type ResourceGraph,
  referencesOf,
} from './graph.js';
export {
  address,
  allResources,
  buildModel,
  emptyModel,
  type Kind,
  type KindMap,
  type Model,
  projectTimezone,
  RESOURCE_KINDS,
  type ResourceNode,
} from './model.js';
export {
  DEFAULT_EXPORT_PATH,
  parseTemplate,
  pathEscapes,
  renderTemplate,
  type TemplatePart,
  type TemplateValues,
} from './path-template.js';
export {
  durationMs,
  isValidTimezone,
  RULES,
  type Rule,
  type RuleContext,
  runRules,
  sourceColumnsOf,
} from './rules/index.js';
export {
  looksLikeReference,
  parseReference,
  REDACTED,
  referenceProblem,
  type SecretReference,
} from './secrets.js';
