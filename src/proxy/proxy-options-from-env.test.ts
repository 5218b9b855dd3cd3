import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { createProxyHandler } from './create-proxy-handler.ts';
import { proxyOptionsFromEnv, relayOptionsFromEnv } from './proxy-options-from-env.ts';

describe('proxyOptionsFromEnv', () => {
  it('reads every variable', () => {
    expect(
      proxyOptionsFromEnv({
        TABDOCK_PROXY_ALLOW: ' 127.0.0.1:5000, *.corp.test ,',
        TABDOCK_INSECURE_REGISTRIES: '127.0.0.1:5000',
        TABDOCK_PROXY_ORIGINS: 'https://a.test,https://b.test',
        TABDOCK_PROXY_RATE_BURST: '50',
        TABDOCK_PROXY_RATE_PER_SECOND: '2.5',
        TABDOCK_PROXY_MAX_BLOB_BYTES: '1000',
        TABDOCK_PROXY_MAX_MANIFEST_BYTES: '100',
        TABDOCK_PROXY_BASE_PATH: '/proxy',
      }),
    ).toEqual({
      allow: ['127.0.0.1:5000', '*.corp.test'],
      insecure: ['127.0.0.1:5000'],
      allowedOrigins: ['https://a.test', 'https://b.test'],
      rateLimit: { burst: 50, perSecond: 2.5 },
      maxBlobBytes: 1000,
      maxManifestBytes: 100,
      basePath: '/proxy',
    });
  });

  it('gives nothing for an empty environment, so the defaults apply', () => {
    expect(proxyOptionsFromEnv({})).toEqual({});
  });

  it('turns the rate limit off with burst 0 and takes * as any origin', () => {
    expect(proxyOptionsFromEnv({ TABDOCK_PROXY_RATE_BURST: '0', TABDOCK_PROXY_ORIGINS: '*' })).toEqual({
      rateLimit: false,
      allowedOrigins: '*',
    });
  });

  it('refuses nonsense with a TabdockError naming the variable', () => {
    expect(() => proxyOptionsFromEnv({ TABDOCK_PROXY_RATE_BURST: 'lots' })).toThrow(/TABDOCK_PROXY_RATE_BURST/);
    let caught: unknown;
    try {
      createProxyHandler(proxyOptionsFromEnv({ TABDOCK_PROXY_ALLOW: 'http://ghcr.io/' }));
    } catch (e) {
      caught = e;
    }
    expect(TabdockError.is(caught, 'PROXY_CONFIG_INVALID')).toBe(true);
  });
});

describe('relayOptionsFromEnv', () => {
  it('reads the relay variables, and the proxy origins', () => {
    expect(
      relayOptionsFromEnv({
        TABDOCK_RELAY_ALLOW: '127.0.0.1/32, ::1',
        TABDOCK_RELAY_PORTS: '80,443,8000-8100',
        TABDOCK_RELAY_MAX_STREAMS: '8',
        TABDOCK_RELAY_MAX_BYTES: '0',
        TABDOCK_PROXY_ORIGINS: 'https://a.example',
      }),
    ).toEqual({ allow: ['127.0.0.1/32', '::1'], ports: ['80', '443', '8000-8100'], maxStreams: 8, maxBytes: 0, allowedOrigins: ['https://a.example'] });
    expect(relayOptionsFromEnv({})).toEqual({});
    expect(relayOptionsFromEnv({ TABDOCK_RELAY: 'on' })).toEqual({});
    expect(relayOptionsFromEnv({ TABDOCK_RELAY: 'off' })).toBe(false);
  });

  it.each([
    ['TABDOCK_RELAY', 'maybe'],
    ['TABDOCK_RELAY_ALLOW', 'localhost'],
    ['TABDOCK_RELAY_ALLOW', '10.0.0.0/33'],
    ['TABDOCK_RELAY_PORTS', '0'],
    ['TABDOCK_RELAY_PORTS', '90-80'],
    ['TABDOCK_RELAY_PORTS', 'http'],
    ['TABDOCK_RELAY_MAX_STREAMS', '-1'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    let caught: unknown;
    try {
      relayOptionsFromEnv({ [name]: value });
    } catch (e) {
      caught = e;
    }
    expect(TabdockError.is(caught, 'PROXY_CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain(name);
  });
});
