// The engine worker in real Chromium, through the page-side client the playground uses:
// IndexedDB stores, the registry behind the Vite-mounted proxy, the guest restored from
// the snapshot served as a static asset, typed errors across the boundary.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';
import { pushWasiImage } from '../support/wasi.ts';

let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;
let wasm: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:1', { all: true });
  wasm = await pushWasiImage(reg, 'hello', 'tar', 'hello-wasi:1');
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  await page.goto(`${dev.url}test/browser/worker-page.html`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 60_000 });
  await call('connect', 'worker-test');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

const call = (k: string, ...args: unknown[]) =>
  page.evaluate(([k, args]) => (globalThis as unknown as { tabdockWorker: Record<string, (...a: unknown[]) => unknown> }).tabdockWorker[k as string]!(...(args as unknown[])), [k, args] as const) as Promise<Record<string, unknown>>;

it('pulls through the proxy and runs a container in the restored guest', async () => {
  const pulled = await call('pull', `${reg.host}/busybox:1`);
  expect(pulled['reference']).toBe(`${reg.host}/busybox:1`);
  const r = await call('run', `${reg.host}/busybox:1`, ['echo', 'hello']);
  expect(r['out']).toBe('hello\n');
  expect(r['code']).toBe(0);
  const events = (await call('events')) as unknown as string[];
  expect(events).toContain('boot:restoring');
  expect(events).toContain('boot:ready');
  expect(events).not.toContain('boot:booting');
}, 180_000);

it('gives the exit code and stdin across the boundary', async () => {
  const r = await call('run', `${reg.host}/busybox:1`, ['sh', '-c', 'cat; exit 3'], { input: 'from the page\n' });
  expect(r).toMatchObject({ out: 'from the page\n', code: 3 });
}, 60_000);

it('forwards the engine\'s events: a detached container that exits by itself is announced with its code', async () => {
  const r = (await call('runDetached', `${reg.host}/busybox:1`, ['sh', '-c', 'sleep 1; exit 7'])) as { id: string; died: Record<string, unknown> };
  expect(r.died).toMatchObject({ type: 'container', action: 'die', id: r.id, exitCode: 7 });
  const events = (await call('events')) as unknown as string[];
  // The earlier runs: created, started, died, removed (--rm), and the pulled image.
  for (const e of ['container:create', 'container:start', 'container:die', 'container:destroy', 'image:pull']) expect(events).toContain(e);
}, 60_000);

it('keeps TabdockErrors whole across the worker boundary', async () => {
  const r = await call('error', '127.0.0.1:9/nothing:1');
  // The proxy refuses a host off its allow list; the registry client's error reaches the
  // page as a TabdockError again, with its code, its data and whether a retry may help.
  expect(r).toEqual({
    name: 'TabdockError',
    isTabdock: true,
    code: 'DENIED',
    retryable: false,
    message: 'access to 127.0.0.1:9/nothing on 127.0.0.1:9 was denied: denied: tabdock proxy: host 127.0.0.1:9 is not on the allow list',
    data: {
      status: 403,
      registryCodes: ['DENIED'],
      registry: '127.0.0.1:9',
      repository: '127.0.0.1:9/nothing',
      detail: 'denied: tabdock proxy: host 127.0.0.1:9 is not on the allow list',
    },
  });
}, 60_000);

it('runs a wasi/wasm image in a nested worker of the engine worker, no guest involved', async () => {
  await call('pull', wasm);
  const r = await call('run', wasm, []);
  expect(r).toMatchObject({ out: 'hello from wasi\n', code: 0 });
  const l = (await call('list')) as { images: { platform: string }[] };
  expect(l.images.map((i) => i.platform)).toContain('wasi/wasm');
}, 120_000);
