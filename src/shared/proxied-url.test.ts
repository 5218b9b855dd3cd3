import { describe, expect, it } from 'vitest';
import { parseProxiedPath, proxiedUrl, upstreamUrlOf } from './proxied-url.ts';

describe('proxiedUrl', () => {
  it('puts host[:port], path and query after the proxy base', () => {
    expect(proxiedUrl('http://127.0.0.1:8080', 'https://registry-1.docker.io/v2/library/alpine/manifests/latest')).toBe(
      'http://127.0.0.1:8080/registry-1.docker.io/v2/library/alpine/manifests/latest',
    );
    expect(proxiedUrl('https://play.test/proxy/', 'https://auth.docker.io/token?service=registry.docker.io&scope=a:b:pull')).toBe(
      'https://play.test/proxy/auth.docker.io/token?service=registry.docker.io&scope=a:b:pull',
    );
    expect(proxiedUrl('http://p', 'http://127.0.0.1:5000/v2/')).toBe('http://p/127.0.0.1:5000/v2/');
    expect(proxiedUrl('http://p', 'https://ghcr.io:443/v2/')).toBe('http://p/ghcr.io/v2/');
  });

  it('refuses what it cannot express', () => {
    expect(() => proxiedUrl('http://p', 'ftp://ghcr.io/v2/')).toThrow(/cannot proxy/);
    expect(() => proxiedUrl('http://p', 'https://u:pw@ghcr.io/v2/')).toThrow(/credentials/);
  });
});

describe('parseProxiedPath and upstreamUrlOf', () => {
  it('invert proxiedUrl', () => {
    const upstream = 'https://quay.io/v2/coreos/etcd/tags/list?n=10';
    expect(upstreamUrlOf('http://p/proxy', proxiedUrl('http://p/proxy', upstream))).toBe(upstream);
    expect(upstreamUrlOf('http://p', 'http://p/127.0.0.1:5000/v2/', 'http:')).toBe('http://127.0.0.1:5000/v2/');
    expect(parseProxiedPath('/GHCR.io/v2/x', '?a=1')).toEqual({ host: 'ghcr.io', path: '/v2/x', search: '?a=1' });
    expect(parseProxiedPath('/')).toBeUndefined();
  });

  it('refuses URLs outside the base', () => {
    expect(() => upstreamUrlOf('http://p/proxy', 'http://other/ghcr.io/v2/')).toThrow(/not under the proxy base/);
    expect(() => upstreamUrlOf('http://p/proxy', 'http://p/proxy/')).toThrow(/names no upstream host/);
  });
});
