import { describe, expect, it } from 'vitest';
import { parseChallenges, TokenCache } from './auth.ts';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with a comma inside a quoted scope', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } });
  });
  it('reads Basic and unquoted values', () => {
    expect(parseChallenges('Basic realm=Registry')).toEqual([{ scheme: 'basic', params: { realm: 'Registry' } }]);
  });
});

describe('TokenCache', () => {
  it('reuses a token per scope until it expires, then fetches again', async () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    const urls: string[] = [];
    const fetchToken = async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify({ token: `t${urls.length}`, expires_in: 300 }));
    };
    const ch = { scheme: 'bearer', params: { realm: 'http://auth.test/token', service: 'reg' } };
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg')).toBe('t1');
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg')).toBe('t1');
    expect(await cache.get(ch, 'repository:b:pull', undefined, fetchToken, 'reg')).toBe('t2');
    now = 295_000;
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg')).toBe('t3');
    expect(urls[0]).toBe('http://auth.test/token?service=reg&scope=repository%3Aa%3Apull');
  });
});

describe('TokenCache after a 401', () => {
  it('does not hand out again a token the registry refused', async () => {
    const cache = new TokenCache(() => 0);
    let n = 0;
    const fetchToken = async () => new Response(JSON.stringify({ token: `t${++n}`, expires_in: 300 }));
    const ch = { scheme: 'bearer', params: { realm: 'http://auth.test/token', service: 'reg' } };
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg')).toBe('t1');
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg', 't1')).toBe('t2');
    expect(await cache.get(ch, 'repository:a:pull', undefined, fetchToken, 'reg')).toBe('t2');
  });
});
