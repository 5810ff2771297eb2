export type { Diagnostic, SourcePosition } from './diagnostic.js';
export { errorAt, hasErrors, sortDiagnostics, warningAt } from './diagnostic.js';
export {
  type ErrorEnvelope,
  errorCode,
  errorMessage,
  errorToEnvelope,
  errorToText,
  OutflowError,
} from './errors.js';
export { type FormatOptions, formatDiagnosticsText, summarize, summaryLine } from './format.js';
export { closest, editDistance, suggestion } from './suggest.js';
