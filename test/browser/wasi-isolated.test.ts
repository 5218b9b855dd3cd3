// WASI live stdin through shared memory in real Chromium: the same engine worker as
// wasi.test.ts, on a page served with COOP/COEP (cross-origin isolated), where the engine
// shares a ring buffer with the module's worker and a line reaches the module while it runs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';
import { pushWasiImage } from '../support/wasi.ts';

let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;
let interact: string;

beforeAll(async () => {
  reg = await startRegistry();
  interact = await pushWasiImage(reg, 'interact', 'tar', 'interact:1');
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host }, { crossOriginIsolated: true });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  await page.goto(`${dev.url}test/browser/wasi-page.html`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

type Api = Record<string, (...a: unknown[]) => Promise<unknown>>;
const call = (k: string, ...args: unknown[]) =>
  page.evaluate(([k, args]) => (globalThis as unknown as { tabdockWasi: Api }).tabdockWasi[k as string]!('wasi-isolated', ...(args as unknown[])), [k, args] as const);

it('is cross-origin isolated: the page and the engine worker can share memory', async () => {
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(await call('isolated')).toBe(true);
  expect(await call('sharedMemory')).toBe(true);
}, 60_000);

it('gives live stdin: each line is answered while the module runs, before the next is sent', async () => {
  await call('pull', interact);
  const r = await call('converse', interact);
  expect(r).toEqual({ afterOne: 'ready\ngot: one\n', out: 'ready\ngot: one\ngot: two\n', code: 7 });
}, 120_000);
