import { describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, normalizeCapabilities, tweakCapabilities } from './capabilities.ts';

const without = (caps: readonly string[], ...drop: string[]) => caps.filter((c) => !drop.includes(c));

describe('capabilities (moby TweakCapabilities)', () => {
  it('Docker gives 14 by default', () => {
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
    expect(tweakCapabilities({})).toEqual([...DEFAULT_CAPABILITIES]);
    expect(ALL_CAPABILITIES).toHaveLength(41);
  });

  it.each([
    ['add one, any spelling', { add: ['sys_admin'] }, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']],
    ['add with prefix, mixed case', { add: ['Cap_Net_Admin'] }, [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN']],
    ['add a default again: no duplicate', { add: ['CHOWN'] }, [...DEFAULT_CAPABILITIES]],
    ['drop one', { drop: ['net_raw'] }, without(DEFAULT_CAPABILITIES, 'CAP_NET_RAW')],
    ['drop two', { drop: ['CAP_MKNOD', 'kill'] }, without(DEFAULT_CAPABILITIES, 'CAP_MKNOD', 'CAP_KILL')],
    ['drop ALL, add one', { drop: ['ALL'], add: ['net_bind_service'] }, ['CAP_NET_BIND_SERVICE']],
    ['drop all (lower case)', { drop: ['all'] }, []],
    ['add ALL, drop one', { add: ['ALL'], drop: ['sys_admin'] }, without(ALL_CAPABILITIES, 'CAP_SYS_ADMIN')],
    ['add ALL wins over drop ALL', { add: ['ALL'], drop: ['ALL'] }, [...ALL_CAPABILITIES]],
    ['privileged: all, whatever else', { privileged: true, drop: ['ALL'] }, [...ALL_CAPABILITIES]],
  ])('%s', (_, opts, want) => {
    expect(tweakCapabilities(opts)).toEqual(want);
  });

  it('refuses unknown names with the normalised name', () => {
    expect(() => normalizeCapabilities(['foo'])).toThrow('unknown capability: "CAP_FOO"');
    expect(() => tweakCapabilities({ add: ['cap_bogus'] })).toThrow('unknown capability: "CAP_BOGUS"');
  });
});
