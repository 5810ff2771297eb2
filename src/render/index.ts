// Renderers: text, markdown and JSON, all from the one Plan value. Pure.
export { skippedStreamFileNotes } from './common.js';
export { renderJson } from './json.js';
export { MARKDOWN_LIMIT, renderMarkdown } from './markdown.js';
export { scheduleInWords } from './schedule-words.js';
export { formatBytes, renderStatusText, type StatusRow, statusRows, table } from './status.js';
export { renderText, type TextOptions } from './text.js';
