import { describe, expect, it } from 'vitest';
import { parseMemFlag, parseNanoCpus, parseRamBytes } from './units.ts';

describe('parseRamBytes (go-units RAMInBytes)', () => {
  it.each([
    ['32', 32],
    ['32b', 32],
    ['32B', 32],
    ['1k', 1024],
    ['1K', 1024],
    ['1kb', 1024],
    ['1KiB', 1024],
    ['32m', 32 * 2 ** 20],
    ['32M', 32 * 2 ** 20],
    ['32mb', 32 * 2 ** 20],
    ['1g', 2 ** 30],
    ['1.5g', 1.5 * 2 ** 30],
    ['2 m', 2 * 2 ** 20],
    ['1t', 2 ** 40],
    ['0.5k', 512],
  ])('%s -> %d', (s, n) => expect(parseRamBytes(s)).toBe(n));

  it.each(['12x', '', 'm', '-1', '1.2.3m', '1 2m', '12kk'])('refuses %j', (s) => {
    expect(() => parseRamBytes(s)).toThrow(`invalid size: '${s}'`);
  });

  it("says it the docker CLI's way for -m", () => {
    expect(() => parseMemFlag('-m, --memory', '12x')).toThrow(`invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`);
  });
});

describe('parseNanoCpus (docker/cli ParseCPUs)', () => {
  it.each([
    ['1', 1e9],
    ['0.5', 5e8],
    ['.25', 2.5e8],
    ['1.000000001', 1_000_000_001],
    ['2e-1', 2e8],
    ['0', 0],
  ])('%s -> %d', (s, n) => expect(parseNanoCpus(s)).toBe(n));

  it('refuses non-numbers and too much precision', () => {
    expect(() => parseNanoCpus('abc')).toThrow('invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
    expect(() => parseNanoCpus('0.0000000001')).toThrow('value is too precise');
  });
});
