// Hardening: a registry that never answers, stalls or trickles cannot hold a pull for
// ever, and a pull whose client went away stops. A real registry on loopback holds the
// busybox fixture; the fault proxy in front of it withholds or paces its real answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { Digest, RegistryClient, parseReference } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { TabdockError } from '../src/shared/errors.ts';
import { BIN, cliHome, fixtureInfo, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let proxy: FaultProxy;
let layerPath: string;
let diffId: string;
const never = new Promise<void>(() => {});

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  proxy = await startFaultProxy(reg.url);
  const info = await fixtureInfo('busybox');
  layerPath = `/v2/busybox/blobs/${info.manifests[0]!.layerDigests[0]!}`;
  diffId = info.manifests[0]!.diffIds[0]!;
}, 180_000);
afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
});

const fast = { headersMs: 400, windowMs: 600, minBytesPerWindow: 64 << 10 };
const client = (retries = 0) => new RegistryClient({ insecureRegistries: [proxy.host], retries, hasher: nodeSha256, deadlines: fast, sleep: async () => {} });

async function failure(p: Promise<unknown>): Promise<TabdockError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(TabdockError);
  return e as TabdockError;
}

async function openLayer(c: RegistryClient, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const img = await c.resolve(parseReference(`${proxy.host}/busybox`));
  return c.openBlob(img, img.manifest.layers[0]!, signal ? { signal } : {});
}

describe('registry deadlines', () => {
  it('a registry that never answers is a timeout, retried, then reported with the host and the wait', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'hold', until: never, match: '/manifests/' }]);
    const e = await failure(client(2).resolve(parseReference(`${proxy.host}/busybox`)));
    expect(e.code).toBe('REGISTRY_TIMEOUT');
    expect(e.message).toMatch(new RegExp(`registry ${proxy.host} did not answer .* within 400 ms`));
    expect(proxy.requests.filter((r) => r.path.includes('/manifests/')).length).toBe(3);
  });

  it('a body that trickles below the floor fails as stalled after its retries, each connection closed', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 512, tickMs: 50, match: '/blobs/' }]);
    const c = new RegistryClient({ insecureRegistries: [proxy.host], retries: 1, hasher: nodeSha256, deadlines: fast, sleep: async () => {} });
    const body = await openLayer(c);
    const e = await failure(new Response(body).arrayBuffer());
    expect(e.code).toBe('DOWNLOAD_INTERRUPTED');
    expect(e.message).toMatch(/too slowly: \d+ bytes in 600 ms \(at least 65536 expected\)/);
    const gets = proxy.requests.filter((r) => r.path === layerPath);
    expect(gets.length).toBe(2);
    await expect.poll(() => gets.every((r) => r.clientClosed), { timeout: 10_000 }).toBe(true);
  });

  it('a slow but steady body is never taken for a stall', async () => {
    proxy.reset();
    // 128 KiB per 150 ms: slower than the network, above the 64 KiB per 600 ms floor.
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 128 << 10, tickMs: 150, match: '/blobs/' }]);
    const body = await openLayer(client());
    const bytes = await new Response(body).arrayBuffer();
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(proxy.requests.filter((r) => r.path === layerPath).length).toBe(1);
  });

  it('a cancelled download closes its connection and opens no other', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 64 << 10, tickMs: 100, match: '/blobs/' }]);
    const stop = new AbortController();
    const body = await openLayer(client(3), stop.signal);
    const reader = body.getReader();
    await reader.read();
    stop.abort();
    const e = await failure(reader.read());
    expect(e.code).toBe('DOWNLOAD_CANCELLED');
    await expect.poll(() => proxy.requests.find((r) => r.path === layerPath)?.clientClosed, { timeout: 10_000 }).toBe(true);
    expect(proxy.requests.filter((r) => r.path === layerPath).length).toBe(1);
  });

  it('a stalled pull fails with the reason and leaves no layer or image behind', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 256, tickMs: 100, match: '/blobs/' }]);
    const home = mkdtempSync(join(tmpdir(), 'tabdock-deadline-'));
    try {
      const meta = await DirMetaStore.open(join(home, 'meta'));
      const blobs = await DirBlobStore.open(join(home, 'blobs'));
      const layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
      const engine = await createEngine({ stores: { blobs, meta, layers }, registry: client(), runtimes: [] });
      const e = await failure(engine.pull(`${proxy.host}/busybox`, {}));
      expect(e.message).toMatch(/too slowly/);
      expect(await engine.listImages()).toEqual([]);
      expect(await layers.has(Digest.parse(diffId))).toBe(false);
      await engine.dispose();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a pull whose CLI went away stops: the daemon closes the download', async () => {
    proxy.reset();
    // About 64 KiB/s: the layer takes far longer than the test waits, yet never stalls.
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 16 << 10, tickMs: 250, match: '/blobs/' }]);
    const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: proxy.host });
    try {
      const up = await cli.run('info');
      expect(up.code).toBe(0);
      const child = spawn(process.execPath, [BIN, 'pull', `${proxy.host}/busybox`], { env: { ...process.env, ...cli.env }, stdio: 'ignore' });
      await expect.poll(() => proxy.requests.some((r) => r.path === layerPath), { timeout: 60_000 }).toBe(true);
      child.kill('SIGKILL');
      await expect.poll(() => proxy.requests.filter((r) => r.path === layerPath).every((r) => r.clientClosed), { timeout: 30_000 }).toBe(true);
      const n = proxy.requests.length;
      const images = await cli.run('images', '-q');
      expect(images.stdout.trim()).toBe('');
      // Nothing new was asked for after the cancel (no retry, no resumed Range).
      expect(proxy.requests.slice(n).filter((r) => r.path.includes('/blobs/'))).toEqual([]);
    } finally {
      cli.dispose();
    }
  }, 180_000);
});
