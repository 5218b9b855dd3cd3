import { describe, expect, it } from 'vitest';
import { applyUpdate, parseUpdateFlags } from './update.ts';
import { parseRunOptions } from './run-flags.ts';

const run = (...flags: string[]) => {
  const flagsRecord: Record<string, unknown> = {};
  for (let i = 0; i < flags.length; i += 2) flagsRecord[flags[i]!] = flags[i + 1];
  return parseRunOptions({ flags: flagsRecord, args: ['img'] } as never);
};
const ctx = { autoRemove: false, cpuCount: 1 };

describe('docker update (moby UpdateContainer)', () => {
  it('changes what was given and keeps the swap fixed at create', () => {
    const o = applyUpdate('ID', run('memory', '32m'), { memory: 48 << 20 }, ctx);
    expect([o.memory, o.memorySwap]).toEqual([48 << 20, 64 << 20]);
    const p = applyUpdate('ID', run(), { pidsLimit: 10, nanoCpus: 5e8 }, ctx);
    expect([p.pidsLimit, p.nanoCpus, p.memory]).toEqual([10, 5e8, undefined]);
  });

  it("refuses as moby does", () => {
    expect(() => applyUpdate('ID', run('memory', '32m'), { memory: 200 << 20 }, ctx)).toThrow('Cannot update container ID: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    expect(applyUpdate('ID', run('memory', '32m'), { memory: 200 << 20, memorySwap: -1 }, ctx).memorySwap).toBe(-1);
    expect(() => applyUpdate('ID', run(), { memory: 1 << 20 }, ctx)).toThrow('Minimum memory limit allowed is 6MB');
    expect(() => applyUpdate('ID', run(), { nanoCpus: 2e9 }, ctx)).toThrow('Range of CPUs is from 0.01 to 1.00');
    expect(() => applyUpdate('ID', run(), { restart: { Name: 'always', MaximumRetryCount: 0 } }, { ...ctx, autoRemove: true })).toThrow('Restart policy cannot be updated because AutoRemove is enabled');
  });

  it('takes the flags docker update takes, and wants one', () => {
    expect(parseUpdateFlags({ flags: { memory: '64m', restart: 'always' }, args: ['c'] })).toEqual({ memory: 64 << 20, restart: { Name: 'always', MaximumRetryCount: 0 } });
    expect(() => parseUpdateFlags({ flags: {}, args: ['c'] })).toThrow('You must provide one or more flags');
    expect(() => parseUpdateFlags({ flags: { memory: '12x' }, args: ['c'] })).toThrow('invalid argument "12x" for "-m, --memory" flag');
  });
});
