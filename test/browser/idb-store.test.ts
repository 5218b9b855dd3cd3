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

type Api = { write(n: string): Promise<Record<string, unknown>>; read(n: string, d: string, l: string): Promise<Record<string, unknown>>; full(n: string): Promise<Record<string, unknown>>; quota(n: string, q: number): Promise<Record<string, unknown>> };
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

it("refuses a container's write with ENOSPC when the origin's quota cannot hold it, and saves what it accepted", async () => {
  // The browser's own quota, made small for this origin (DevTools protocol): usage now + 96 MiB.
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(dev.url).origin;
  const { usage } = await page.evaluate(() => navigator.storage.estimate());
  const quotaSize = (usage ?? 0) + 96 * 1024 * 1024;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
  try {
    const q = await call('quota', 'store3', quotaSize);
    expect(q['errno']).toBe(28); // ENOSPC, at the write
    expect(q['syncError']).toBeUndefined();
    expect(q['size']).toBe(q['accepted']);
    expect(q['accepted'] as number).toBeGreaterThan(16 * 1024 * 1024);
    expect(q['held']).toBe(0);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
}, 120_000);
