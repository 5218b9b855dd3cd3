// The IndexedDB stores in real Chromium (the fake-indexeddb contract suite's real-browser
// counterpart): blobs verified and kept across a reload, ranged reads, metadata, a layer
// unpacked with the browser's own DecompressionStream and read back through the union
// view, and STORE_FULL at a cap.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDevServer } from '../support/index.ts';

let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dev = await startDevServer({});
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${dev.url}test/browser/idb-page.html`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
});

type Api = { write(n: string): Promise<Record<string, unknown>>; read(n: string, d: string, l: string): Promise<Record<string, unknown>>; full(n: string): Promise<Record<string, unknown>> };
const call = <K extends keyof Api>(k: K, ...args: Parameters<Api[K]>) =>
  page.evaluate(([k, args]) => (globalThis as unknown as { tabdockIdb: Record<string, (...a: unknown[]) => unknown> }).tabdockIdb[k as string]!(...(args as unknown[])), [k, args] as const) as Promise<Record<string, unknown>>;

it('stores verified blobs, metadata and an unpacked layer that survive a reload', async () => {
  const w = await call('write', 'store1');
  expect(w['wrongDigest']).toBe('DIGEST_MISMATCH');
  await page.reload();
  await page.waitForFunction(() => document.title === 'ready');
  const r = await call('read', 'store1', w['digest'] as string, w['diffId'] as string);
  expect(r).toEqual({
    has: true,
    wholeDigest: w['digest'],
    partEqualsBlobSlice: true,
    meta: { tags: ['busybox:latest'] },
    keys: ['image/x'],
    hostname: 'tabdock\n',
    bigMode: 0o755,
  });
}, 120_000);

it('fails a write past its cap with STORE_FULL and keeps nothing of it', async () => {
  const f = await call('full', 'store2');
  expect(f['has']).toBe(false);
  expect(f['usage']).toBe(0);
  expect((f['err'] as { code: string }).code).toBe('STORE_FULL');
}, 60_000);
