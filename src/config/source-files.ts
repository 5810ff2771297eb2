import { readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics/index.js';
import { errorAt } from '../diagnostics/index.js';
import { PROJECT_FILE } from './find-project.js';

/** Limits that keep a hostile or accidental input from exhausting memory or time. */
export const LIMITS = {
  maxFileBytes: 2 * 1024 * 1024,
  maxFiles: 5000,
  maxDepth: 32,
  maxAliasCount: 100,
} as const;

/** A config file's text, with its project-relative path (always `/`-separated). */
export interface SourceFile {
  path: string;
  text: string;
}

async function listYaml(root: string, dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) await listYaml(root, rel, out);
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(rel);
  }
}

/** Lists outflow.yaml and flows/**\/*.yaml|yml, sorted so output never depends on the file system. */
export async function listConfigFiles(root: string): Promise<string[]> {
  const flows: string[] = [];
  await listYaml(root, 'flows', flows);
  flows.sort();
  return [PROJECT_FILE, ...flows];
}

function firstBadUtf8(bytes: Uint8Array): number {
  // TextDecoder(fatal) tells us that it failed, not where; find the offset for the message.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

function lineColOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Reads one config file, refusing huge, binary and non-UTF-8 files with a diagnostic. */
export async function readSourceFile(
  root: string,
  path: string,
): Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }> {
  const abs = join(root, ...path.split('/'));
  // Synchronous: config files are small, and a thread-pool round trip per file cost more than
  // the reads themselves (1,000 resources in 200 files: 40 ms → 5 ms).
  const size = statSync(abs).size;
  if (size > LIMITS.maxFileBytes) return { diagnostics: [tooLarge(path, size)] };
  return sourceFileFromBytes(path, readFileSync(abs));
}

function tooLarge(path: string, size: number): Diagnostic {
  return errorAt(
    { file: path, line: 1, column: 1 },
    'file-too-large',
    `file is ${size} bytes; config files may be at most ${LIMITS.maxFileBytes} bytes`,
    'split the resources over several files under flows/',
  );
}

/** A config file from its bytes (from disk or `git show`), with the same checks as readSourceFile. */
export function sourceFileFromBytes(
  path: string,
  bytes: Buffer,
): { file?: SourceFile; diagnostics: Diagnostic[] } {
  if (bytes.length > LIMITS.maxFileBytes) return { diagnostics: [tooLarge(path, bytes.length)] };
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return {
      diagnostics: [
        errorAt(
          { file: path, ...lineColOf(bytes, nul) },
          'binary-file',
          'file contains a NUL byte: it looks binary, not YAML',
          'remove it from flows/, or give it another extension',
        ),
      ],
    };
  }
  const bad = firstBadUtf8(bytes);
  if (bad !== -1) {
    return {
      diagnostics: [
        errorAt(
          { file: path, ...lineColOf(bytes, bad) },
          'not-utf8',
          `file is not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad})`,
          'save the file as UTF-8 (for example: iconv -f latin1 -t utf-8)',
        ),
      ],
    };
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { file: { path, text }, diagnostics: [] };
}

/** Whether a project-relative path is a config file: outflow.yaml, or flows/**\/*.yaml|yml without dot segments. */
export function isConfigPath(path: string): boolean {
  if (path === PROJECT_FILE) return true;
  const parts = path.split('/');
  return (
    parts.length >= 2 &&
    parts[0] === 'flows' &&
    parts.every((p) => p !== '' && !p.startsWith('.')) &&
    /\.ya?ml$/i.test(parts[parts.length - 1]!)
  );
}

export function toProjectPath(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}
