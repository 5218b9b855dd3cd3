// The registry client's uploads against the real docker-registry, through a loopback fault
// proxy: monolithic (POST + PUT), chunked PATCHes resumed after a failed one from the
// offset the registry reports, cross-repository mounts, HEAD skipping what is there.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Digest, parseReference, RegistryClient, sha256 } from '../src/registry-client/index.ts';
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
