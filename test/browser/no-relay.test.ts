// The playground served without a network relay (TABDOCK_RELAY=off): the page says once,
// plainly, that containers have no network access, and why; with the relay, it says nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDevServer } from '../support/index.ts';

let dev: { url: string; server: ViteDevServer };
let browser: Browser;

beforeAll(async () => {
  dev = await startDevServer({ TABDOCK_RELAY: 'off' });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  delete process.env['TABDOCK_RELAY'];
});

it('says once that there is no relay and so no network for containers', async () => {
  const page = await browser.newPage();
  await page.goto(dev.url);
  const notice = page.locator('tabdock-playground .notice');
  await notice.waitFor({ timeout: 60_000 });
  const text = await notice.textContent();
  expect(text).toContain('No network relay answers at ws://');
  expect(text).toContain('/wisp/');
  expect(text).toContain('no network access');
  expect(await notice.count()).toBe(1);
  await notice.locator('button').click();
  await expect.poll(() => notice.count()).toBe(0);
}, 120_000);
