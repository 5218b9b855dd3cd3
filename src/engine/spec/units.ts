import { invalidFlagValue } from './errors.ts';

/**
 * Sizes and CPU counts as the docker CLI reads them.
 *
 * Sizes follow docker/go-units `RAMInBytes`: a decimal number, an optional space, an
 * optional unit letter b/k/m/g/t/p (case-insensitive) optionally followed by `i` and/or
 * `b`; units are binary (k = 1024). The regex form is go-units' `sizeRegex`
 * (`^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`), whose error is `invalid size: '<s>'`.
 */
const SIZE = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i;
const UNIT: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

export function parseRamBytes(s: string): number {
  const m = SIZE.exec(s);
  // go-units accepts "1.2.3" in its regex and then fails in ParseFloat; same sentence here.
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n)) throw new Error(`invalid size: '${s}'`);
  const unit = m[2] ? UNIT[m[2].toLowerCase()]! : 1;
  return Math.trunc(n * unit);
}

/** `-m, --memory` and friends: docker/cli `opts.MemBytes.Set`. */
export function parseMemFlag(flag: string, value: string): number {
  try {
    return parseRamBytes(value);
  } catch (e) {
    throw invalidFlagValue(flag, value, (e as Error).message);
  }
}

/** `--memory-swap`: docker/cli `opts.MemSwapBytes.Set`: `-1` means unlimited. */
export function parseMemSwapFlag(flag: string, value: string): number {
  if (value === '-1') return -1;
  return parseMemFlag(flag, value);
}

/**
 * `--cpus`: docker/cli `opts.ParseCPUs`: a rational number, times 1e9, must be an
 * integer number of nano-CPUs ("value is too precise" otherwise).
 */
export function parseNanoCpus(value: string): number {
  const fail = (reason: string) => invalidFlagValue('--cpus', value, reason);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw fail(`failed to parse ${value} as a rational number`);
  const [, sign, int, frac = '', exp = '0'] = m;
  // Exact decimal arithmetic: digits * 10^(9 + exp - frac.length) must be an integer.
  const digits = BigInt((int || '0') + frac);
  const shift = 9 + Number(exp) - frac.length;
  let nano: bigint;
  if (shift >= 0) nano = digits * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    if (digits % div !== 0n) throw fail('value is too precise');
    nano = digits / div;
  }
  const n = Number(nano);
  return sign === '-' ? -n : n;
}

/** Strict integer flags (`--pids-limit`, `--stop-timeout`): Go's strconv messages. */
export function parseIntFlag(flag: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value)) {
    throw invalidFlagValue(flag, value, `strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw invalidFlagValue(flag, value, `strconv.ParseInt: parsing "${value}": value out of range`);
  return n;
}
