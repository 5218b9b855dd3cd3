import { describe, expect, it } from 'vitest';
import { getTimestamp, parseGoDuration } from './timestamp.ts';

// Cases from moby's api/types/time/timestamp_test.go (TestGetTimestamp), with `now` in UTC.
const now = new Date(Date.UTC(2026, 0, 2, 15, 4, 5));
const unix = (iso: string) => String(Date.parse(iso) / 1000);

describe('getTimestamp (moby api/types/time.GetTimestamp)', () => {
  it.each([
    ['2026-01-01', `${unix('2026-01-01T00:00:00Z')}.000000000`],
    ['2026-01-01T10', `${unix('2026-01-01T10:00:00Z')}.000000000`],
    ['2026-01-01T10:20', `${unix('2026-01-01T10:20:00Z')}.000000000`],
    ['2026-01-01T10:20:30', `${unix('2026-01-01T10:20:30Z')}.000000000`],
    ['2026-01-01T10:20:30.123456789', `${unix('2026-01-01T10:20:30Z')}.123456789`],
    ['2026-01-01T10:20:30Z', `${unix('2026-01-01T10:20:30Z')}.000000000`],
    ['2026-01-01T10:20:30+01:00', `${unix('2026-01-01T09:20:30Z')}.000000000`],
    ['2026-01-01T10:20:30.5-02:00', `${unix('2026-01-01T12:20:30Z')}.500000000`],
    ['10m', unix('2026-01-02T14:54:05Z')],
    ['1h30m', unix('2026-01-02T13:34:05Z')],
    ['1.5h', unix('2026-01-02T13:34:05Z')],
    ['-10m', unix('2026-01-02T15:14:05Z')],
    ['1700000000', '1700000000'],
    ['1700000000.000000001', '1700000000.000000001'],
    ['0', '0'],
  ])('%s -> %s', (v, want) => {
    const utcNow = Object.assign(new Date(now), { getTimezoneOffset: () => 0 });
    expect(getTimestamp(v, utcNow, 'since')).toBe(want);
  });

  it('refuses what is neither, with the docker client\'s sentence', () => {
    expect(() => getTimestamp('foo', now, 'since')).toThrow('invalid value for "since": failed to parse value as time or duration: "foo"');
    expect(() => getTimestamp('2026-13-01', now, 'until')).toThrow('invalid value for "until": parsing time "2026-13-01"');
    expect(() => getTimestamp('', now, 'since')).toThrow('failed to parse value as time or duration');
  });

  it('reads Go durations', () => {
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('2h45m')).toBe(9_900_000);
    expect(parseGoDuration('10')).toBeUndefined();
  });
});
