import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Engine, openEngine } from '../../src/engine/index.js';
import type { Dataflow } from '../../src/schema/index.js';

/** Temp data, staging and reject folders and a locked-down in-memory engine over them. */
export interface Sandbox {
  root: string;
  data: string;
  staging: string;
  rejects: string;
  engine: Engine;
  write(name: string, text: string): string;
  close(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'outflow-data-')));
  const data = path.join(root, 'data');
  const staging = path.join(root, 'staging');
  const rejects = path.join(root, 'rejects');
  for (const dir of [data, staging, rejects]) mkdirSync(dir, { recursive: true });
  const engine = await openEngine({ database: ':memory:', allowedDirectories: [data, staging, rejects] });
  return {
    root,
    data,
    staging,
    rejects,
    engine,
    write(name, text) {
      const file = path.join(data, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    async close() {
      await engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function fileRef(file: string): { path: string; sha256: string } {
  return { path: file, sha256: sha256(file) };
}

type Column = Dataflow['schema']['columns'][number];

export function dataflow(
  name: string,
  columns: Column[],
  extra: Partial<Omit<Dataflow, 'schema'>> & { schema?: Partial<Dataflow['schema']> } = {},
): { name: string; config: Dataflow } {
  const { schema, ...rest } = extra;
  return {
    name,
    config: {
      kind: 'Dataflow',
      name,
      entity: 'user',
      source: { type: 'streamFile', path: `data/${name}/*` },
      writeMode: 'append',
      onInvalid: 'skip',
      ...rest,
      schema: { name, columns: columns as Dataflow['schema']['columns'], ...schema },
    },
  };
}

/** CSV field quoting as RFC 4180: quote when needed, double inner quotes. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\n\r]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csv(header: string[], rows: (string | null)[][]): string {
  return `${[header.join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n')}\n`;
}

/** A small deterministic PRNG (mulberry32) so generated data is the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A minimal RFC 4180 parser for checking written CSV. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
