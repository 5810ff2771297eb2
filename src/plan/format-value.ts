import { isPlainObject } from './canonical.js';

/** A config value in one short line, YAML-flow style: `user`, `[a, b]`, `{audience: buyers}`. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(none)';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return /^[\w.:/*-]+$|^\(sensitive\)$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isPlainObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatValue(v)}`)
      .join(', ')}}`;
  return String(value);
}

/** An ISO time, shortened when it falls on a whole minute: `2026-11-20T03:00Z`. */
export function formatTime(iso: string): string {
  return iso.replace(/:00(\.000)?Z$/, 'Z').replace(/\.000Z$/, 'Z');
}
