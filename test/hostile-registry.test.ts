// Hardening: a hostile registry or token server cannot make the engine buffer what it
// sends. Every body read whole is bounded by its kind (errors, tokens, manifests,
// configs); past the bound the pull fails with a clear error, having read little.
// The hostile server is a real HTTP server on loopback that streams without end.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, parseReference } from '../src/registry-client/index.ts';
import { TabdockError } from '../src/shared/errors.ts';

let server: Server;
let host: string;
/** Bytes the server wrote per path. */
const sent = new Map<string, number>();
const requests: string[] = [];

/** Writes `chunk` until the client stops reading (or 1 GiB), counting what went out. */
function endless(res: ServerResponse, path: string, status: number, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = () => {
    while ((sent.get(path) ?? 0) < 1024 ** 3) {
      sent.set(path, (sent.get(path) ?? 0) + chunk.length);
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => res.destroy());
  pump();
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    if (path === '/v2/') return res.end('{}');
    if (path === '/v2/tokenrepo/manifests/latest' && !req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="hostile",scope="repository:tokenrepo:pull"` });
      return res.end();
    }
    if (path === '/token') return endless(res, path, 200, 'application/json');
    // One repository's realm is a closed loopback port; another's works.
    if (path === '/v2/poison/manifests/latest') {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://127.0.0.1:1/token",service="hostile"' });
      return res.end();
    }
    if (path === '/v2/good/manifests/latest' && req.headers.authorization !== 'Bearer good') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/goodtoken",service="hostile"` });
      return res.end();
    }
    if (path === '/goodtoken') return res.end(JSON.stringify({ token: 'good' }));
    if (path === '/v2/good/manifests/latest') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 2 }, layers: [],
      }));
    }
    if (path === '/v2/errbody/manifests/latest') return endless(res, path, 404, 'application/json');
    if (path === '/v2/bigmanifest/manifests/latest') return endless(res, path, 200, 'application/vnd.oci.image.manifest.v1+json');
    if (path === '/v2/bigconfig/manifests/latest') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 300 * 1024 * 1024 }, layers: [],
      }));
    }
    if (path.startsWith('/v2/bigconfig/blobs/')) return endless(res, path, 200, 'application/octet-stream');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const client = () => new RegistryClient({ insecureRegistries: [host], retries: 0 });

async function failure(p: Promise<unknown>): Promise<TabdockError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(TabdockError);
  return e as TabdockError;
}

describe('a hostile registry', () => {
  it('an endless error body is read only in part: the 404 is reported', async () => {
    const e = await failure(client().resolve(parseReference(`${host}/errbody`)));
    expect(e.code).toBe('MANIFEST_UNKNOWN');
    expect(sent.get('/v2/errbody/manifests/latest')!).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);

  it('an endless token response fails the pull with a clear error', async () => {
    const e = await failure(client().resolve(parseReference(`${host}/tokenrepo`)));
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toMatch(/token response is more than that: more than the 1 MiB tabdock accepts/);
    expect(sent.get('/token')!).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);

  it('an endless manifest is refused past 4 MiB', async () => {
    const e = await failure(client().resolve(parseReference(`${host}/bigmanifest`)));
    expect(e.code).toBe('MANIFEST_TOO_LARGE');
    expect(sent.get('/v2/bigmanifest/manifests/latest')!).toBeLessThan(40 * 1024 * 1024);
  }, 60_000);

  it('a repository whose token realm fails does not poison the host for the others', async () => {
    const c = client();
    const e = await failure(c.resolve(parseReference(`${host}/poison`)));
    expect(e.code).toBe('REGISTRY_UNREACHABLE');
    const img = await c.resolve(parseReference(`${host}/good`));
    expect(img.manifest.config.size).toBe(2);
    // Then the other way round: a working challenge cached, then the failing one, then the working one again.
    await failure(c.resolve(parseReference(`${host}/poison`)));
    expect((await c.resolve(parseReference(`${host}/good`))).manifest.config.size).toBe(2);
  }, 60_000);

  it('a manifest naming a 300 MiB config is refused before the config is fetched', async () => {
    const c = client();
    const img = await c.resolve(parseReference(`${host}/bigconfig`));
    const e = await failure(c.fetchConfig(img));
    expect(e.code).toBe('CONFIG_TOO_LARGE');
    expect(e.message).toMatch(/300 MiB by its manifest: more than the 8 MiB/);
    expect(requests.some((p) => p.startsWith('/v2/bigconfig/blobs/'))).toBe(false);
  }, 60_000);
});
