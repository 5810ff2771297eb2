import jsYaml from 'js-yaml';
import type * as YamlModule from 'yaml';
import type { LineCounter, Node, Pair, Document as YamlDoc } from 'yaml';
import type { Diagnostic, SourcePosition } from '../diagnostics/index.js';
import { errorAt } from '../diagnostics/index.js';
import { requireVendored } from '../vendored.js';
import { LIMITS, type SourceFile } from './source-files.js';

// The careful parser (the `yaml` package, ~70 modules) is loaded on first use: valid files are
// read by js-yaml and need it only when a finding asks for a position.
let yamlModule: typeof YamlModule | undefined;
function yaml(): typeof YamlModule {
  yamlModule ??= requireVendored<typeof YamlModule>('yaml');
  return yamlModule;
}

export type ConfigPath = readonly (string | number)[];

/** One parsed YAML document of a config file, with a way back from a config path to a source position. */
export interface ConfigDocument {
  file: SourceFile;
  /** 0-based index of the document within its file. */
  index: number;
  value: unknown;
  /** Where the value at `path` is written; `key: true` points at the key instead of the value. */
  locate(path: ConfigPath, options?: { key?: boolean }): SourcePosition;
}

function pathSegment(node: Node | null | undefined, seg: string | number): { pair?: Pair; node?: Node } {
  if (yaml().isMap(node)) {
    for (const pair of node.items) {
      const k = yaml().isScalar(pair.key) ? pair.key.value : pair.key;
      if (k === seg || String(k) === String(seg))
        return { pair, node: (pair.value as Node | null) ?? undefined };
    }
    return {};
  }
  if (yaml().isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg];
    return yaml().isPair(item) ? {} : { node: (item as Node | null) ?? undefined };
  }
  return {};
}

function makeLocator(file: SourceFile, doc: YamlDoc.Parsed, lines: LineCounter, lineTexts: string[]) {
  const at = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { file: file.path, line, column: col, source: lineTexts[line - 1] ?? '' };
  };
  return (path: ConfigPath, options: { key?: boolean } = {}): SourcePosition => {
    let node: Node | null | undefined = doc.contents;
    let best: number = doc.contents?.range?.[0] ?? 0;
    let lastKey: number | undefined;
    for (let i = 0; i < path.length; i++) {
      if (yaml().isAlias(node)) node = node.resolve(doc);
      const step = pathSegment(node, path[i]!);
      // Missing: point at the key that holds the mapping it should be in.
      if (step.pair === undefined && step.node === undefined) {
        if (lastKey !== undefined) best = lastKey;
        break;
      }
      const last = i === path.length - 1;
      const keyNode = step.pair?.key as Node | undefined;
      const keyStart = keyNode?.range?.[0];
      lastKey = keyStart;
      const valueStart = step.node?.range?.[0];
      if (keyStart !== undefined) best = keyStart;
      if (valueStart !== undefined && !(last && options.key && keyStart !== undefined)) best = valueStart;
      node = step.node;
    }
    return at(best);
  };
}

function depthOf(node: unknown, depth: number): number {
  if (depth > LIMITS.maxDepth) return depth;
  if (yaml().isMap(node) || yaml().isSeq(node)) {
    let max = depth;
    for (const item of node.items) {
      const child = yaml().isPair(item) ? item.value : item;
      max = Math.max(max, depthOf(child, depth + 1));
      if (max > LIMITS.maxDepth) break;
    }
    return max;
  }
  return depth;
}

/** No collection reached twice (an alias to a mapping or list) and no nesting beyond the limit. */
function plainTree(value: unknown, seen: Set<object>, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth > LIMITS.maxDepth || seen.has(value)) return false;
  seen.add(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (!plainTree(child, seen, depth + 1)) return false;
  }
  return true;
}

/**
 * The fast path: js-yaml with the YAML 1.2 core schema reads valid files ~10× faster than the
 * position-keeping parser. It is used only when the result is plainly safe — no directives, no
 * parse error or duplicate key, no null document, no aliased collection, no deep nesting — and
 * positions come from the careful parser the first time a finding needs one. Anything else goes
 * to the careful parser, which reports it with its position.
 */
function parseFast(file: SourceFile): ConfigDocument[] | undefined {
  const values = fastValues(file);
  return values === undefined ? undefined : documentsFromValues(file, values);
}

/**
 * The values of a file's documents as the fast path reads them, or undefined when the file must
 * go to the careful parser (see parseFast).
 */
export function fastValues(file: SourceFile): unknown[] | undefined {
  if (/^%/m.test(file.text)) return undefined;
  const values: unknown[] = [];
  try {
    jsYaml.loadAll(file.text, (v) => values.push(v), { schema: jsYaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (values.some((v) => v === null || v === undefined || !plainTree(v, new Set(), 1))) return undefined;
  return values;
}

/** A file's documents from the fast path's values; positions come from the careful parser on first use. */
export function documentsFromValues(file: SourceFile, values: readonly unknown[]): ConfigDocument[] {
  let careful: ConfigDocument[] | undefined;
  return values.map((value, index) => ({
    file,
    index,
    value,
    locate(path: ConfigPath, options?: { key?: boolean }): SourcePosition {
      careful ??= parseCareful(file).documents;
      const doc = careful.find((d) => d.index === index);
      return doc === undefined ? { file: file.path, line: 1, column: 1 } : doc.locate(path, options);
    },
  }));
}

/** Parses every document of a file as YAML 1.2 with unique keys, bounded depth and aliases. */
export function parseConfigFile(file: SourceFile): {
  documents: ConfigDocument[];
  diagnostics: Diagnostic[];
} {
  const fast = parseFast(file);
  return fast === undefined ? parseCareful(file) : { documents: fast, diagnostics: [] };
}

/** The careful parser: every node keeps its source range, for `file:line:column` diagnostics. */
export function parseCareful(file: SourceFile): {
  documents: ConfigDocument[];
  diagnostics: Diagnostic[];
} {
  const lines = new (yaml().LineCounter)();
  const lineTexts = file.text.split(/\r?\n/);
  const diagnostics: Diagnostic[] = [];
  const documents: ConfigDocument[] = [];
  const docs = yaml().parseAllDocuments(file.text, {
    version: '1.2',
    uniqueKeys: true,
    lineCounter: lines,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) return { documents, diagnostics };
  const pos = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { file: file.path, line, column: col, source: lineTexts[line - 1] ?? '' };
  };
  docs.forEach((doc, index) => {
    const before = diagnostics.length;
    if (doc.directives.yaml.explicit && doc.directives.yaml.version !== '1.2') {
      diagnostics.push(
        errorAt(
          pos(doc.range[0]),
          'yaml-version',
          `%YAML ${doc.directives.yaml.version} is not supported: outflow reads YAML 1.2 only`,
          'remove the %YAML directive (in YAML 1.2, yes/no/on/off are plain strings; write true/false for booleans)',
        ),
      );
    }
    for (const e of doc.errors) {
      let message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^\s*["']?([^"':]+)/
          .exec(file.text.slice(e.pos[0], e.pos[0] + 300).split('\n')[0]!)?.[1]
          ?.trim();
        if (key) message = `duplicate key "${key}": map keys must be unique`;
      }
      const code = e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
      const hint =
        e.code === 'DUPLICATE_KEY'
          ? 'each key may appear once in a mapping; remove or rename one of them'
          : 'fix the YAML syntax (check indentation, quotes and colons)';
      diagnostics.push(errorAt(pos(e.pos[0]), code, message, hint));
    }
    for (const w of doc.warnings) {
      diagnostics.push(
        errorAt(
          pos(w.pos[0]),
          'yaml-tag',
          w.message.split('\n')[0]!,
          'remove custom YAML tags; outflow config uses plain values',
        ),
      );
    }
    if (diagnostics.length > before) return;
    if (doc.contents === null) return; // an empty document (e.g. a trailing ---) is harmless
    if (depthOf(doc.contents, 1) > LIMITS.maxDepth) {
      diagnostics.push(
        errorAt(
          pos(doc.contents.range?.[0] ?? 0),
          'too-deep',
          `document nests deeper than ${LIMITS.maxDepth} levels`,
          'flatten the structure; outflow config never needs this much nesting',
        ),
      );
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
    } catch (err) {
      const aliasBomb = err instanceof ReferenceError || /alias/i.test(String(err));
      diagnostics.push(
        errorAt(
          pos(doc.contents.range?.[0] ?? 0),
          aliasBomb ? 'alias-limit' : 'yaml-syntax',
          aliasBomb
            ? `too many alias expansions (limit ${LIMITS.maxAliasCount}): this looks like an alias bomb`
            : String(err),
          aliasBomb ? 'use fewer YAML anchors/aliases (*name); write the values out' : 'fix the YAML',
        ),
      );
      return;
    }
    documents.push({ file, index, value, locate: makeLocator(file, doc, lines, lineTexts) });
  });
  return { documents, diagnostics };
}
