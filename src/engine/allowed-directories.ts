import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { OutflowError } from '../diagnostics/errors.js';

/**
 * The form DuckDB's `allowed_directories` needs: absolute, symlinks resolved, one trailing
 * separator.
 *
 * Why each step: DuckDB matches a file by string prefix after normalising `..` and resolving
 * the file's symlinks, so an allowed directory spelled through a symlink (macOS /var →
 * /private/var) would never match unless resolved too. DuckDB resolves directories that exist
 * when the setting is made, but not ones created later (staging), so we resolve the longest
 * existing ancestor ourselves. DuckDB 1.5 appends the trailing separator itself (so "/data"
 * never admits "/data2"); we add it anyway so the prefix rule holds on any version.
 */
export async function resolveAllowedDirectory(directory: string): Promise<string> {
  if (!path.isAbsolute(directory)) {
    throw new OutflowError('engine_relative_directory', `allowed directory "${directory}" is not absolute`, {
      hint: 'resolve it against the project root before opening the engine',
    });
  }
  const resolved = await realpathOfExistingPrefix(path.resolve(directory));
  if (path.dirname(resolved) === resolved) {
    throw new OutflowError(
      'engine_root_directory',
      `allowed directory "${directory}" is the filesystem root`,
      {
        hint: 'allow only the project data and staging folders',
      },
    );
  }
  return resolved.endsWith(path.sep) ? resolved : resolved + path.sep;
}

async function realpathOfExistingPrefix(absolute: string): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
