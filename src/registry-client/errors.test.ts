import { describe, expect, it } from 'vitest';
import { refusal } from '../proxy/refusal.ts';
import { httpError } from './errors.ts';

const body = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });
const ctx = { registry: 'docker.io', repository: 'busybox', what: 'busybox:latest' };

describe('httpError', () => {
  it.each([
    [404, body('MANIFEST_UNKNOWN', 'manifest unknown'), 'MANIFEST_UNKNOWN', 'manifest for busybox:latest not found: manifest unknown', false],
    [404, body('NAME_UNKNOWN', 'repository name not known to registry'), 'NAME_UNKNOWN', 'repository busybox not found on docker.io: check the name, or whether it needs credentials', false],
    [401, body('UNAUTHORIZED', 'authentication required'), 'UNAUTHORIZED', "pull access denied for busybox, repository does not exist or may require credentials (unauthorized: authentication required)", false],
    [403, body('DENIED', 'requested access to the resource is denied'), 'DENIED', 'access to busybox on docker.io was denied: denied: requested access to the resource is denied', false],
    [503, '', 'REGISTRY_UNAVAILABLE', 'docker.io answered 503 (HTTP 503): the registry is having trouble, try again later', true],
  ])('%i %s', (status, text, code, message, retryable) => {
    const e = httpError(status, new Headers(), text, ctx);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.retryable).toBe(retryable);
  });

  it('429 carries Docker Hub’s rate-limit figures', () => {
    const h = new Headers({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'retry-after': '3600' });
    const e = httpError(429, h, body('TOOMANYREQUESTS', 'You have reached your pull rate limit.'), ctx);
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.message).toBe('docker.io rate-limited the pull of busybox:latest (limit 100 pulls per 6 h, 0 remaining, retry after 1 h): wait and try again, or authenticate to get a higher limit');
    expect(e.data).toMatchObject({ limit: 100, remaining: 0, windowSeconds: 21600, retryAfterSeconds: 3600, registryCodes: ['TOOMANYREQUESTS'] });
  });

  it('the CORS proxy failing to connect is the registry being unreachable, read from its data', async () => {
    const res = refusal(502, 'UNAVAILABLE', 'cannot reach 127.0.0.1:9: fetch failed (connect ECONNREFUSED 127.0.0.1:9)', {}, {
      reason: 'UPSTREAM_UNREACHABLE', host: '127.0.0.1:9', cause: 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)',
    });
    const e = httpError(502, res.headers, await res.text(), ctx);
    expect(e.code).toBe('REGISTRY_UNREACHABLE');
    expect(e.message).toBe('cannot reach registry docker.io: fetch failed (connect ECONNREFUSED 127.0.0.1:9) (through the CORS proxy)');
    expect(e.data).toMatchObject({ viaProxy: true, cause: 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)' });
    expect(e.retryable).toBe(true);
  });

  it('a registry whose own message reads like the proxy\'s is not taken for it (no sentence is parsed)', () => {
    const e = httpError(502, new Headers(), body('UNAVAILABLE', 'tabdock proxy: cannot reach 127.0.0.1:9: fetch failed'), ctx);
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('a proxy refusal by policy stays a refusal', async () => {
    const res = refusal(403, 'DENIED', 'host example.invalid is not on the allow list');
    const e = httpError(403, res.headers, await res.text(), ctx);
    expect(e.code).toBe('DENIED');
  });
});
