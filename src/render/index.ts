// Renderers: text, markdown and JSON, all from the one Plan value, and the views commands print through. Pure.
export { skippedStreamFileNotes } from './common.js';
export { changeDiagram, type GraphFormat, renderGraph } from './graph.js';
export { renderJson } from './json.js';
export { MARKDOWN_LIMIT, renderMarkdown } from './markdown.js';
export { reasonText } from './reasons.js';
export { scheduleInWords } from './schedule-words.js';
export { formatBytes, renderStatusText, type StatusRow, statusRows, table } from './status.js';
export { renderText, type TextOptions } from './text.js';
export { graphView, type PlanFormat, type PlanView, planView, type WatchView, watchView } from './views.js';
