import { expect, it } from 'vitest';
import { apiTimestampNanos, rfc3339Nanos } from './timestamp.ts';

it('reads the API\'s SECONDS.NANOS and RFC 3339 times to nanoseconds', () => {
  expect(apiTimestampNanos('12.5')).toBe(12_500_000_000n);
  expect(apiTimestampNanos('12')).toBe(12_000_000_000n);
  expect(apiTimestampNanos('x')).toBeUndefined();
  expect(rfc3339Nanos('1970-01-01T00:00:12.000000005Z')).toBe(12_000_000_005n);
  expect(rfc3339Nanos('1970-01-01T01:00:12.5+01:00')).toBe(12_500_000_000n);
  expect(rfc3339Nanos('1970-01-01T00:00:12Z')).toBe(12_000_000_000n);
});
