// The registry client's uploads against the real docker-registry, through a loopback fault
// proxy: monolithic (POST + PUT), chunked PATCHes resumed after a failed one from the
// offset the registry reports, cross-repository mounts, HEAD skipping what is there.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../src/proxy/index.ts';
import { parseReference, type Digest, RegistryClient, sha256 } from '../src/registry-client/index.ts';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let proxy: FaultProxy;
let client: RegistryClient;

beforeAll(async () => {
  reg = await startRegistry();
  proxy = await startFaultProxy(reg.url);
  client = new RegistryClient({ insecureRegistries: [proxy.host], sleep: async () => {} });
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
});

async function blobOf(bytes: Uint8Array) {
  const digest = await sha256(bytes);
  return { digest, size: bytes.byteLength, open: async () => new Response(bytes).body! };
}

async function stored(repo: string, d: Digest): Promise<Uint8Array> {
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/${d}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

it('monolithic: POST then one PUT; a second push finds the blob by HEAD and sends nothing', async () => {
  const bytes = new Uint8Array(randomBytes(100_000));
  const blob = await blobOf(bytes);
  const p = client.pusher(parseReference(`${proxy.host}/mono:1`));
  proxy.reset();
  expect(await p.pushBlob(blob)).toEqual({ status: 'pushed' });
  expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD', 'POST', 'PUT']);
  expect(Buffer.from(await stored('mono', blob.digest)).equals(bytes)).toBe(true);
  proxy.reset();
  expect(await p.pushBlob(blob)).toEqual({ status: 'exists' });
  expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD']);
}, 60_000);

it('chunked: a PATCH cut off is resumed from what the registry kept, and the blob is whole', async () => {
  const bytes = new Uint8Array(randomBytes(5 * 1024 * 1024 + 123));
  const blob = await blobOf(bytes);
  let patches = 0;
  proxy.reset();
  proxy.setRules([{ kind: 'drop', method: 'PATCH', match: () => ++patches === 3, times: 1 }]);
  const progress: number[] = [];
  const p = client.pusher(parseReference(`${proxy.host}/chunky:1`));
  expect(await p.pushBlob(blob, { chunkSize: 1 << 20, onProgress: (done) => progress.push(done) })).toEqual({ status: 'pushed' });
  proxy.setRules([]);
  const methods = proxy.requests.map((r) => r.method);
  expect(methods.filter((m) => m === 'PATCH')).toHaveLength(7); // 6 chunks, one of them twice
  expect(proxy.requests.find((r) => r.fault === 'drop')?.method).toBe('PATCH');
  expect(methods).toContain('GET'); // the upload's status, to resume
  expect(methods.at(-1)).toBe('PUT');
  expect(progress.at(-1)).toBe(bytes.byteLength);
  expect(Buffer.from(await stored('chunky', blob.digest)).equals(bytes)).toBe(true);
}, 60_000);

it('mounts a blob from another repository of the registry instead of uploading it', async () => {
  const blob = await blobOf(new Uint8Array(randomBytes(50_000)));
  await client.pusher(parseReference(`${proxy.host}/source:1`)).pushBlob(blob);
  proxy.reset();
  const r = await client.pusher(parseReference(`${proxy.host}/target:1`)).pushBlob(blob, { mountFrom: ['source'] });
  expect(r).toEqual({ status: 'mounted', from: 'source' });
  expect(proxy.requests.map((q) => q.method)).toEqual(['HEAD', 'POST']);
  expect(proxy.requests[1]!.path).toContain(`mount=${encodeURIComponent(blob.digest.toString())}`);
  expect((await stored('target', blob.digest)).byteLength).toBe(50_000);
}, 60_000);

describe('pushing through the CORS proxy', () => {
  let basic: TestRegistry;
  let open: ProxyServer;
  let pushing: ProxyServer;
  beforeAll(async () => {
    basic = await startRegistry({ auth: 'basic' });
    const hosts = { port: 0, defaultAllow: false, allow: [basic.host], insecure: [basic.host] };
    [open, pushing] = await Promise.all([startProxyServer(hosts), startProxyServer({ ...hosts, push: [basic.host] })]);
  }, 60_000);
  afterAll(async () => {
    await open?.close();
    await pushing?.close();
    await basic?.stop();
  });
  const through = (proxyUrl: string, creds: boolean) => new RegistryClient({
    proxy: proxyUrl, insecureRegistries: [basic.host], retries: 0,
    ...(creds ? { credentials: () => ({ username: 'tester', password: 'secret' }) } : {}),
  }).pusher(parseReference(`${basic.host}/viaproxy:1`));

  it('off by default: push methods are refused (405), the registry sees none', async () => {
    const blob = await blobOf(new Uint8Array(randomBytes(10_000)));
    await expect(through(open.url, true).pushBlob(blob)).rejects.toThrow(/405|not allowed/);
    const raw = await fetch(`${open.url}/${basic.host}/v2/viaproxy/blobs/uploads/`, { method: 'POST', headers: { authorization: 'Basic eDp5' } });
    expect(raw.status).toBe(405);
  }, 60_000);

  it('with the push option: refused without credentials, uploads (chunked too) and the manifest with them', async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024));
    const blob = await blobOf(bytes);
    await expect(through(pushing.url, false).pushBlob(blob)).rejects.toThrow(/credentials|denied|unauthorized/i);
    const anon = await fetch(`${pushing.url}/${basic.host}/v2/viaproxy/blobs/uploads/`, { method: 'POST' });
    expect(anon.status).toBe(403);
    expect(await anon.text()).toContain('needs credentials');
    const notUpload = await fetch(`${pushing.url}/${basic.host}/v2/viaproxy/tags/list`, { method: 'POST', headers: { authorization: 'Basic eDp5' } });
    expect(notUpload.status).toBe(403);
    expect(await notUpload.text()).toContain('not a registry upload path');
    const p = through(pushing.url, true);
    expect(await p.pushBlob(blob, { chunkSize: 1 << 20 })).toEqual({ status: 'pushed' });
    const cfg = new TextEncoder().encode(JSON.stringify({ architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const cfgBlob = await blobOf(cfg);
    expect(await p.pushBlob(cfgBlob)).toEqual({ status: 'pushed' });
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfgBlob.digest.toString(), size: cfg.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blob.digest.toString(), size: bytes.byteLength }],
    }));
    const d = await p.putManifest('1', manifest, 'application/vnd.oci.image.manifest.v1+json');
    expect(d.toString()).toBe((await sha256(manifest)).toString());
    const res = await fetch(`${basic.url}/v2/viaproxy/blobs/${blob.digest}`, { headers: { authorization: `Basic ${Buffer.from('tester:secret').toString('base64')}` } });
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  }, 60_000);
});
