// Hardening: a hostile registry or token server cannot make the engine buffer what it
// sends. Every body read whole is bounded by its kind (errors, tokens, manifests,
// configs); past the bound the pull fails with a clear error, having read little.
// The hostile server is a real HTTP server on loopback that streams without end.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';
import { createEngine } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { RegistryClient, parseReference, sha256 } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
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

/** An image whose one layer starts with an entry Linux cannot hold, then 48 MiB of noise. */
const evil: { manifest?: string; config?: Uint8Array; configDigest?: string; layer?: Uint8Array; layerDigest?: string } = {};
async function makeEvil(): Promise<void> {
  const noise = new Uint8Array(48 * 1024 * 1024);
  for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536)); // incompressible: 48 MiB on the wire
  const tar = await packTar([{ header: { name: 'n'.repeat(300), size: 1, type: 'file', mode: 0o644 }, body: 'x' }, { header: { name: 'pad', size: noise.length, type: 'file', mode: 0o644 }, body: noise }]);
  evil.layer = new Uint8Array(gzipSync(tar, { level: 1 }));
  evil.layerDigest = (await sha256(evil.layer)).toString();
  evil.config = new TextEncoder().encode(JSON.stringify({ os: 'linux', architecture: '386', rootfs: { type: 'layers', diff_ids: [(await sha256(tar)).toString()] }, config: { Cmd: ['sh'] } }));
  evil.configDigest = (await sha256(evil.config)).toString();
  evil.manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: evil.configDigest, size: evil.config.byteLength },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: evil.layerDigest, size: evil.layer.byteLength }],
  });
}

beforeAll(async () => {
  await makeEvil();
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
    if (path === '/v2/evil/manifests/latest') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end(evil.manifest);
    }
    if (path === `/v2/evil/blobs/${evil.configDigest}`) return res.end(evil.config);
    if (path === `/v2/evil/blobs/${evil.layerDigest}`) {
      // Slowly enough that a pull which read to the end would show it in the count.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(evil.layer!.byteLength) });
      let at = 0;
      const pump = () => {
        while (at < evil.layer!.byteLength) {
          const piece = evil.layer!.subarray(at, at + 65536);
          at += piece.byteLength;
          sent.set('evil-layer', at);
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.destroy());
      return pump();
    }
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

  it('a layer refused for what it holds is not downloaded to its end, and nothing of it is kept', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tabdock-evil-'));
    try {
      const blobs = await DirBlobStore.open(join(home, 'store'));
      const meta = await DirMetaStore.open(join(home, 'meta'));
      const layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
      const engine = await createEngine({ stores: { blobs, meta, layers }, registry: new RegistryClient({ insecureRegistries: [host], retries: 0, hasher: nodeSha256 }), runtimes: [] });
      const e = await failure(engine.pull(`${host}/evil`, {}));
      expect(e.code).toBe('LAYER_UNSAFE');
      expect(e.message).toContain('over Linux\'s 255 (NAME_MAX)');
      expect(sent.get('evil-layer') ?? 0).toBeLessThan(evil.layer!.byteLength / 2);
      expect(await blobs.list()).toEqual([]);
      expect(await engine.listImages()).toEqual([]);
      await engine.dispose();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
