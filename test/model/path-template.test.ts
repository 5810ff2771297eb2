import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseTemplate,
  renderRunDirectory,
  renderTemplate,
  safePathSegment,
  type TemplateValues,
} from '../../src/model/path-template.js';

/** Event names a producer controls: none of them may add, remove or climb a folder. */
const HOSTILE_EVENTS = [
  '..',
  '.',
  '',
  'x'.repeat(300),
  'tab\there\nnew\rline\u0000nul\u001fus',
  'CON',
  'nul.txt',
  'a/b',
  '../x',
  '..\\..\\win',
  ' spaced ',
  '.hidden',
  'trailing.',
  '日本語',
];

/** `{event}` at the start, as a folder, inside a file name, as the whole file name, and at the end. */
const EVENT_TEMPLATES = [
  '{event}/{export}-{runId}-{index}.{ext}',
  '{export}/{runId}/{event}/{index}.{ext}',
  '{export}/{runId}/{export}-{event}-{date:yyyyMMdd}-{index}.{ext}',
  '{export}/exportTime={exportTime:yyyyMMddHHmm}/{event}.{ext}',
  '{export}/{runId}/{index}.{ext}/{event}',
  '{export}/{runId}/{event}{event}',
  '{export}/{runId}-{exportTime:yyyyMMddHHmm}-{event}-{date:yyyyMMdd}-{index}-db1.{ext}',
];

const RUN: Omit<TemplateValues, 'event' | 'index'> = {
  export: 'ev_export',
  dataset: 'events',
  runId: '20261120T233000Z-1a2b3c4d',
  ext: 'csv',
  exportTime: new Date('2026-11-20T23:30:00Z'),
  timeZone: 'UTC',
};

function render(template: string, values: Partial<TemplateValues> = {}): string {
  const { parts, problems } = parseTemplate(template);
  expect(problems).toEqual([]);
  return renderTemplate(parts, { ...RUN, index: 1, ...values });
}

/** The file's key stays under the run's folder, and no segment is empty, `.` or `..`. */
function expectInside(file: string, runDirectory: string): void {
  const segments = file.split('/');
  for (const s of segments) {
    expect(s, file).not.toBe('');
    expect(s, file).not.toBe('.');
    expect(s, file).not.toBe('..');
    expect(Buffer.byteLength(s), file).toBeLessThanOrEqual(255);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is checked
    expect(s, file).not.toMatch(/[\u0000-\u001f\\]/);
  }
  expect(posix.normalize(file)).toBe(file);
  if (runDirectory !== '')
    expect(file.startsWith(`${runDirectory}/`), `${file} under ${runDirectory}`).toBe(true);
}

describe('date tokens are rendered in the project time zone', () => {
  it('a run at 23:30 UTC is dated the next day in Europe/Paris; {runId} is untouched', () => {
    const template = '{export}/{date:yyyyMMdd}/{exportTime:yyyyMMddHHmm}-{runId}-{index}.{ext}';
    expect(render(template, { timeZone: 'Europe/Paris' })).toBe(
      'ev_export/20261121/202611210030-20261120T233000Z-1a2b3c4d-00001.csv',
    );
    expect(render(template, { timeZone: 'UTC' })).toBe(
      'ev_export/20261120/202611202330-20261120T233000Z-1a2b3c4d-00001.csv',
    );
  });

  it('follows daylight saving time and zones west of UTC', () => {
    const summer = new Date('2026-07-01T22:15:09Z');
    expect(render('{exportTime:yyyy-MM-ddTHH.mm.ss}', { exportTime: summer, timeZone: 'Europe/Paris' })).toBe(
      '2026-07-02T00.15.09',
    );
    expect(render('{date}', { exportTime: summer, timeZone: 'America/New_York' })).toBe('20260701');
    expect(
      render('{exportTime}', { exportTime: new Date('2026-01-01T00:00:00Z'), timeZone: 'Asia/Kolkata' }),
    ).toBe('202601010530');
  });
});

describe('safePathSegment', () => {
  it('keeps plain names as they are', () => {
    for (const name of ['buy', 'add_to_cart', 'page.view', 'a=b', 'A-Z_09', 'x'.repeat(200)])
      expect(safePathSegment(name)).toBe(name);
  });

  it('makes every hostile value one safe segment, deterministically and distinctly', () => {
    const seen = new Map<string, string>();
    for (const value of HOSTILE_EVENTS) {
      const safe = safePathSegment(value);
      expect(safe, JSON.stringify(value)).toMatch(/^[A-Za-z0-9_=-][A-Za-z0-9_.=-]*-[0-9a-f]{8}$/);
      expect(safe.length).toBeLessThanOrEqual(200);
      expect(safePathSegment(value)).toBe(safe);
      expect(
        seen.get(safe),
        `${JSON.stringify(value)} and ${JSON.stringify(seen.get(safe))}`,
      ).toBeUndefined();
      seen.set(safe, value);
    }
    expect(safePathSegment('CON')).toMatch(/^_CON-/);
    expect(safePathSegment('..')).toMatch(/^__-/);
  });

  it('values that collide once characters are replaced stay distinct', () => {
    const values = ['a/b', 'a_b', 'a\\b', 'a b', 'a?b'];
    expect(new Set(values.map(safePathSegment)).size).toBe(values.length);
    expect(safePathSegment('a_b')).toBe('a_b');
    // A value spelled like another value's safe form is changed too.
    const spoof = safePathSegment('a/b');
    expect(safePathSegment(spoof)).not.toBe(spoof);
  });
});

describe('hostile event names in every token position', () => {
  it.each(EVENT_TEMPLATES)('%s: every file stays in the run folder, one name per event', (template) => {
    const { parts } = parseTemplate(template);
    const dir = renderRunDirectory(parts, RUN);
    const names = HOSTILE_EVENTS.map((event) => render(template, { event }));
    for (const name of names) expectInside(name, dir);
    expect(new Set(names).size).toBe(names.length);
    if (template.endsWith('.{ext}')) for (const name of names) expect(name.endsWith('.csv'), name).toBe(true);
  });
});

describe('renderRunDirectory', () => {
  const dirOf = (template: string, values: Partial<typeof RUN> = {}) =>
    renderRunDirectory(parseTemplate(template).parts, { ...RUN, ...values });

  it('is the folder of the template up to the first token that differs per file', () => {
    expect(dirOf('{export}/{runId}/{export}-{index}.{ext}')).toBe('ev_export/20261120T233000Z-1a2b3c4d');
    expect(
      dirOf(
        '{export}/exportTime={exportTime:yyyyMMddHHmm}/{export}-{runId}-{event}-{date:yyyyMMdd}-{index}.{ext}',
      ),
    ).toBe('ev_export/exportTime=202611202330');
    expect(dirOf('{export}/{runId}/{event}/{index}.{ext}')).toBe('ev_export/20261120T233000Z-1a2b3c4d');
    expect(dirOf('{event}/{export}-{index}.{ext}')).toBe('');
    expect(dirOf('{export}/{runId}/all.{ext}')).toBe('ev_export/20261120T233000Z-1a2b3c4d');
    expect(dirOf('{export}.{ext}')).toBe('');
  });

  it('renders dates in the time zone given', () => {
    expect(
      dirOf('{dataset}/exportTime={exportTime:yyyyMMddHHmm}/part-{index}.{ext}', {
        timeZone: 'Europe/Paris',
      }),
    ).toBe('events/exportTime=202611210030');
  });
});
