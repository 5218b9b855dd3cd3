import { describe, expect, it } from 'vitest';
import { TabdockError } from '../../shared/errors.ts';
import { FakeRuntime } from './fake-runtime.ts';
import { Runtimes, type RuntimeRegistration } from './runtimes.ts';

const reg = (driver: RuntimeRegistration['driver'], platforms: string[], open: () => FakeRuntime): RuntimeRegistration =>
  ({ driver, platforms, open, buildSpec: async () => ({}) });

describe('Runtimes (one lookup: platform -> runtime)', () => {
  const guest = new FakeRuntime();
  const wasi = new FakeRuntime();
  const runtimes = new Runtimes([reg('tabdock-guest', ['linux/386'], () => guest), reg('tabdock-wasi', ['wasi/wasm', 'wasip1/wasm'], () => wasi)]);

  it('chooses by the image platform, normalised (i386 is 386; wasip1 is WASI preview 1)', () => {
    expect(runtimes.forPlatform({ os: 'linux', architecture: '386' }).driver).toBe('tabdock-guest');
    expect(runtimes.forPlatform({ os: 'linux', architecture: 'i386' }).driver).toBe('tabdock-guest');
    expect(runtimes.forPlatform({ os: 'wasi', architecture: 'wasm' }).driver).toBe('tabdock-wasi');
    expect(runtimes.forPlatform({ os: 'wasip1', architecture: 'wasm' }).driver).toBe('tabdock-wasi');
  });

  it('refuses a platform no runtime accepts with 125, naming it and what this engine runs', () => {
    const e = (() => {
      try {
        runtimes.forPlatform({ os: 'linux', architecture: 'amd64' });
      } catch (err) {
        return err;
      }
    })();
    expect(TabdockError.is(e, 'UNSUPPORTED_PLATFORM')).toBe(true);
    expect((e as TabdockError).message).toBe('image platform linux/amd64 cannot run here: this engine runs linux/386, wasi/wasm, wasip1/wasm');
    expect((e as TabdockError).exitCode).toBe(125);
    expect((e as TabdockError).data).toMatchObject({ platform: 'linux/amd64' });
    expect(() => runtimes.forPlatform({ os: 'wasip2', architecture: 'wasm' })).toThrow(/WASI preview 2, are not supported yet\): this engine runs/);
  });

  it('makes each runtime once, on first need, tries a failed one again, and disposes the made ones', async () => {
    let made = 0;
    let fail = true;
    const rs = new Runtimes([reg('tabdock-guest', ['linux/386'], () => {
      made++;
      if (fail) throw new Error('no guest today');
      return guest;
    })]);
    expect(made).toBe(0);
    const r = rs.forContainer({ Id: 'x', Driver: 'tabdock-guest' });
    await expect(rs.runtime(r)).rejects.toThrow('no guest today');
    fail = false;
    expect(await rs.runtime(r)).toBe(guest);
    expect(await rs.runtime(r)).toBe(guest);
    expect(made).toBe(2);
    await rs.dispose();
    expect(guest.disposed).toBe(true);
    expect(() => rs.forContainer({ Id: 'y', Driver: 'tabdock-wasi' })).toThrow(/runs under tabdock-wasi, which this engine does not have/);
  });
});
