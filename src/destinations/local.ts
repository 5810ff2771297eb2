import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { OutflowError } from '../diagnostics/index.js';
import type { Destination, StoredObject } from './destination.js';

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A folder on local disk: link or copy to a temp name beside the target, fsync, rename over it, fsync the folder. */
export class LocalDestination implements Destination {
  readonly root: string;
  /** Keys are described relative to this folder (the project root; default the working directory). */
  private readonly describeFrom: string;
  /** The Connection's name, for errors. */
  private readonly connection: string;

  constructor(root: string, describeFrom: string = process.cwd(), connection = 'local') {
    this.root = resolve(root);
    this.describeFrom = describeFrom;
    this.connection = connection;
  }

  private target(key: string): string {
    const abs = resolve(this.root, key);
    if (abs !== this.root && !abs.startsWith(this.root + sep)) {
      throw new OutflowError('path-escapes-root', `refusing to write ${key}: it is outside ${this.root}`);
    }
    return abs;
  }

  describe(key: string): string {
    return relative(this.describeFrom, this.target(key)) || '.';
  }

  async put(key: string, sourceFile: string): Promise<void> {
    const target = this.target(key);
    const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.partial`);
    try {
      await mkdir(dirname(target), { recursive: true });
      // A hard link publishes the staged file without copying it (same file system, the usual
      // case: staging lives in the project); otherwise copy.
      await link(sourceFile, temp).catch(() => copyFile(sourceFile, temp));
      // Always: a linked file an export already synced (writeExport's syncFiles) costs little here.
      await fsyncPath(temp);
      await rename(temp, target);
      await fsyncPath(dirname(target));
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new OutflowError(
        code === 'EACCES' || code === 'EPERM' ? 'destination-auth-failed' : 'destination-failed',
        `connection "${this.connection}" (${this.describe(key)}): cannot write the file: ${code}`,
        {
          hint: `check that ${relative(this.describeFrom, this.root) || '.'} is a folder outflow may write to`,
          cause: err,
        },
      );
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.target(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async download(key: string, targetFile: string): Promise<void> {
    try {
      await copyFile(this.target(key), targetFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new OutflowError('object-not-found', `${this.describe(key)} does not exist`);
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const abs = join(dir, e.name);
        if (e.isDirectory()) await walk(abs);
        else if (e.isFile() && !e.name.endsWith('.partial')) {
          const key = relative(this.root, abs).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const s = await stat(abs);
          out.push({ key, size: s.size, version: String(s.mtimeMs) });
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await rm(this.target(key), { force: true });
  }

  async close(): Promise<void> {}
}
