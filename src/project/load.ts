import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import {
  type ConfigDocument,
  documentsFromValues,
  fastValues,
  listConfigFiles,
  openParseCache,
  type ParsedValuesCache,
  PROJECT_FILE,
  parseCareful,
  readSourceFile,
  type SourceFile,
  sourceFileFromBytes,
  userCacheDir,
} from '../config/index.js';
import { type Diagnostic, errorAt, sortDiagnostics } from '../diagnostics/index.js';
import { buildModel, type Model, pathEscapes, runRules } from '../model/index.js';
import { loadValidators, validateDocument, validatorsId } from '../schema/index.js';
import { checkModelExpressions } from './expressions.js';

export interface LoadedProject {
  root: string;
  files: SourceFile[];
  model: Model;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Missing secrets are errors (default) or warnings (`plan` in a PR without secrets). */
  secretsRequired?: boolean;
  /** Check `expr` with DuckDB's parser (default true; needs the engine). */
  checkExpressions?: boolean;
}

/** Where a project's config files come from: the disk, a git commit, or watch mode's memory. */
export interface ProjectSource {
  /** Project-relative config paths (outflow.yaml first, then flows/** sorted). */
  list(): Promise<string[]>;
  read(path: string): Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }>;
  /** Whether a project-relative file (a `${file:…}` reference, a source path) can be read. */
  readable(path: string): boolean;
}

/** The project's files on disk: what every command but `plan --base` reads. */
export function diskSource(root: string): ProjectSource {
  return {
    list: () => listConfigFiles(root),
    read: (path) => readSourceFile(root, path),
    readable: (path) => {
      if (pathEscapes(path) !== undefined) return false;
      try {
        accessSync(join(root, path), constants.R_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Config files held in memory (read with `git show`, or kept by watch mode), by project path. */
export function memorySource(
  files: ReadonlyMap<string, Buffer>,
  readable: (path: string) => boolean,
): ProjectSource {
  // The same Buffer is checked once (watch mode keeps unchanged files' buffers between cycles).
  const checked = new WeakMap<Buffer, { file?: SourceFile; diagnostics: Diagnostic[] }>();
  return {
    list: async () => [PROJECT_FILE, ...[...files.keys()].filter((p) => p !== PROJECT_FILE).sort()],
    read: async (path) => {
      const bytes = files.get(path);
      if (bytes === undefined)
        return {
          diagnostics: [
            errorAt(
              { file: path, line: 1, column: 1 },
              'missing-project-file',
              `${path} does not exist`,
              'create it with "outflow init"',
            ),
          ],
        };
      let result = checked.get(bytes);
      if (result === undefined) {
        result = sourceFileFromBytes(path, bytes);
        checked.set(bytes, result);
      }
      return result;
    },
    readable,
  };
}

/** One file's parse and schema check, reused while its text is unchanged (watch mode). */
interface ParsedFile {
  text: string;
  documents: ConfigDocument[];
  invalid: ConfigDocument[];
  diagnostics: Diagnostic[];
}
export type ParseCache = Map<string, ParsedFile>;

/** Reads, parses, schema-checks and rule-checks a project, collecting every problem. */
export async function loadProject(root: string, options: LoadOptions = {}): Promise<LoadedProject> {
  return loadProjectFrom(root, diskSource(root), options);
}

/** As loadProject, from any file source; `cache` skips re-parsing files whose text is unchanged. */
export async function loadProjectFrom(
  root: string,
  source: ProjectSource,
  options: LoadOptions = {},
  cache?: ParseCache,
): Promise<LoadedProject> {
  const diagnostics: Diagnostic[] = [];
  const files: SourceFile[] = [];
  const documents: ConfigDocument[] = [];
  const invalid: ConfigDocument[] = [];
  const seen = new Set<string>();
  const cacheDir = userCacheDir(process.env);
  const values = openParseCache(cacheDir, root);
  for (const path of await source.list()) {
    const read = await source.read(path);
    diagnostics.push(...read.diagnostics);
    if (read.file === undefined) continue;
    files.push(read.file);
    seen.add(path);
    let parsed = cache?.get(path);
    if (parsed === undefined || parsed.text !== read.file.text) {
      parsed = await parseAndCheck(read.file, values);
      cache?.set(path, parsed);
    }
    diagnostics.push(...parsed.diagnostics);
    documents.push(...parsed.documents);
    invalid.push(...parsed.invalid);
  }
  // Before anything else touches the values (the schema checks above only read them). Room for
  // twice the project's files: watch mode re-reads only the changed ones, the others stay.
  values.save(2 * files.length);
  if (cache !== undefined) for (const path of cache.keys()) if (!seen.has(path)) cache.delete(path);
  const built = buildModel(documents, PROJECT_FILE, invalid);
  diagnostics.push(...built.diagnostics);
  const projectParsed =
    files.some((f) => f.path === PROJECT_FILE) && !diagnostics.some((d) => d.file === PROJECT_FILE);
  if (built.model.project === undefined && projectParsed) {
    diagnostics.push(
      errorAt(
        { file: PROJECT_FILE, line: 1, column: 1 },
        'missing-project',
        `${PROJECT_FILE} has no "kind: Project" document`,
        'start it with:\n    kind: Project\n    name: my_project',
      ),
    );
  }
  diagnostics.push(
    ...runRules({
      model: built.model,
      env: options.env ?? process.env,
      fileReadable: source.readable,
      secretsRequired: options.secretsRequired ?? true,
    }),
  );
  if (options.checkExpressions ?? true)
    diagnostics.push(...(await checkModelExpressions(built.model, cacheDir)));
  return { root, files, model: built.model, diagnostics: sortDiagnostics(diagnostics) };
}

/**
 * Parses and schema-checks one file. A file whose values and verdict the cache remembers from the
 * same validators is not checked again; the validators load on the first file that needs them.
 */
async function parseAndCheck(file: SourceFile, cache: ParsedValuesCache): Promise<ParsedFile> {
  const remembered = cache.get(file.text);
  let values = remembered?.values;
  if (values === undefined) {
    values = fastValues(file);
    if (values !== undefined) cache.put(file.text, values);
  }
  const parsed =
    values === undefined
      ? parseCareful(file)
      : { documents: documentsFromValues(file, values), diagnostics: [] as Diagnostic[] };
  const out: ParsedFile = {
    text: file.text,
    documents: [],
    invalid: [],
    diagnostics: [...parsed.diagnostics],
  };
  const validators = validatorsId();
  if (remembered?.validBy === validators) {
    out.documents.push(...parsed.documents);
    return out;
  }
  await loadValidators();
  for (const doc of parsed.documents) {
    const problems = validateDocument(doc);
    out.diagnostics.push(...problems);
    (problems.length === 0 ? out.documents : out.invalid).push(doc);
  }
  if (values !== undefined && out.diagnostics.length === 0 && out.invalid.length === 0)
    cache.markValid(file.text, validators);
  return out;
}
