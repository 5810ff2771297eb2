import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import {
  type ConfigDocument,
  listConfigFiles,
  PROJECT_FILE,
  parseConfigFile,
  readSourceFile,
  type SourceFile,
} from '../config/index.js';
import { type Diagnostic, errorAt, sortDiagnostics } from '../diagnostics/index.js';
import { buildModel, type Model, pathEscapes, runRules } from '../model/index.js';
import { loadValidators, validateDocument } from '../schema/index.js';
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

/** Reads, parses, schema-checks and rule-checks a project, collecting every problem. */
export async function loadProject(root: string, options: LoadOptions = {}): Promise<LoadedProject> {
  await loadValidators();
  const diagnostics: Diagnostic[] = [];
  const files: SourceFile[] = [];
  const documents: ConfigDocument[] = [];
  const invalid: ConfigDocument[] = [];
  for (const path of await listConfigFiles(root)) {
    const read = await readSourceFile(root, path);
    diagnostics.push(...read.diagnostics);
    if (read.file === undefined) continue;
    files.push(read.file);
    const parsed = parseConfigFile(read.file);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      const problems = validateDocument(doc);
      diagnostics.push(...problems);
      (problems.length === 0 ? documents : invalid).push(doc);
    }
  }
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
  const fileReadable = (path: string) => {
    if (pathEscapes(path) !== undefined) return false;
    try {
      accessSync(join(root, path), constants.R_OK);
      return true;
    } catch {
      return false;
    }
  };
  diagnostics.push(
    ...runRules({
      model: built.model,
      env: options.env ?? process.env,
      fileReadable,
      secretsRequired: options.secretsRequired ?? true,
    }),
  );
  if (options.checkExpressions ?? true) diagnostics.push(...(await checkModelExpressions(built.model)));
  return { root, files, model: built.model, diagnostics: sortDiagnostics(diagnostics) };
}
