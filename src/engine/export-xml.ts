import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OutflowError } from '../diagnostics/errors.js';
import type { Engine } from './engine.js';
import type { Sql } from './sql/ingest-sql.js';

/**
 * Streams an XML file from DuckDB result chunks: `select` yields one column `x`, the XML of a
 * row (see sql/xml-sql.ts), in order; this wraps them in the declaration and `<root>`.
 * gzip is done here (level 6); zstd and snappy are refused for XML.
 */
export async function writeXmlFile(
  engine: Engine,
  select: Sql,
  root: 'Events' | 'records',
  target: string,
  compression: 'none' | 'gzip' | 'zstd' | 'snappy' | undefined,
): Promise<void> {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n`;
  await writeTextFile(engine, select, { head, tail: `</${root}>\n`, what: 'XML' }, target, compression);
}

/**
 * Streams a text file from DuckDB result chunks: `head`, then the column `x` of every row of
 * `select` in order (each row's text ends its own line), then `tail`. gzip is done here
 * (level 6); zstd and snappy are refused (`what` names the format in the error).
 */
export async function writeTextFile(
  engine: Engine,
  select: Sql,
  frame: { head: string; tail: string; what: string },
  target: string,
  compression: 'none' | 'gzip' | 'zstd' | 'snappy' | undefined,
): Promise<void> {
  if (compression === 'zstd' || compression === 'snappy') {
    throw new OutflowError(
      'export-bad-compression',
      `${frame.what} exports support compression none or gzip, not ${compression}`,
      { hint: 'set compression: gzip or none' },
    );
  }
  const file = createWriteStream(target);
  const sink: Writable = compression === 'gzip' ? createGzip({ level: 6 }) : file;
  if (sink !== file) sink.pipe(file);
  const write = async (text: string) => {
    if (text.length === 0) return;
    if (!sink.write(text)) await new Promise<void>((resolve) => sink.once('drain', resolve));
  };
  try {
    await write(frame.head);
    await engine.stream(select.sql, select.params, async (rows) => {
      let text = '';
      for (const row of rows) text += row.x as string;
      await write(text);
    });
    await write(frame.tail);
  } finally {
    sink.end();
    await finished(file);
  }
}
