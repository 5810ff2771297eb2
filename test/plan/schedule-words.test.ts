import { describe, expect, it } from 'vitest';
import { scheduleInWords } from '../../src/render/index.js';

describe('scheduleInWords', () => {
  it('says common schedules in words and falls back to the cron text', () => {
    const w = (s: Parameters<typeof scheduleInWords>[0]) => scheduleInWords(s, 'Europe/Paris');
    expect(w({ every: '4h' })).toBe('every 4h');
    expect(w({ every: '1h', catchUp: 'all' })).toBe('every 1h, catch up all');
    expect(w({ cron: '0 3 * * *' })).toBe('daily at 03:00 Europe/Paris');
    expect(w({ cron: '30 6 * * 1', timezone: 'UTC' })).toBe('weekly on Monday at 06:30 UTC');
    expect(w({ cron: '0 8 * * 1-5' })).toBe('weekdays at 08:00 Europe/Paris');
    expect(w({ cron: '15 * * * *' })).toBe('hourly at :15');
    expect(w({ cron: '0 0 1 * *' })).toBe('monthly on day 1 at 00:00 Europe/Paris');
    expect(w({ cron: '0 6 L * *' })).toBe('monthly on the last day at 06:00 Europe/Paris');
    expect(w({ cron: '*/15 9-17 * * *' })).toBe('cron "*/15 9-17 * * *" Europe/Paris');
    expect(w({ once: { lookback: '45d' } })).toBe('once (lookback 45d)');
    expect(w(undefined)).toBe('manual (no schedule)');
  });
});
