// The page in real Chromium: an image pulled through the Vite-mounted CORS proxy from a
// real registry, every layer verified in the browser; and a registry error as a sentence.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { artifactPath, fixtureInfo, launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';

let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('multi', 'multi:1', { all: true });
  await reg.push('amd64only', 'amd64only:1', { all: true });
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

async function pull(ref: string) {
  const page = await browser.newPage();
  await page.goto(dev.url);
  const panel = page.locator('tabdock-pull-panel');
  await panel.getByLabel('image reference').fill(ref);
  await panel.getByRole('button', { name: 'Pull' }).click();
  await page.waitForFunction(() => {
    const root = document.querySelector('tabdock-pull-panel')!.shadowRoot!;
    return root.textContent!.includes('every layer verified') || root.querySelector('.error');
  }, null, { timeout: 30_000 });
  return { page, text: await panel.evaluate((e) => e.shadowRoot!.textContent!.replace(/\s+/g, ' ')) };
}

it('pulls a multi-platform image through the proxy and verifies it in the browser', async () => {
  const { page, text } = await pull(`${reg.host}/multi:1`);
  const info = await fixtureInfo('multi');
  expect(text).toContain(`${reg.host}/multi:1 (linux/386) — Digest: ${info.indexDigest} — every layer verified`);
  for (const l of info.manifests.find((m) => m.platform.architecture === '386')!.layerDigests) expect(text).toContain(`${l.slice(7, 19)}verified`);
  await page.screenshot({ path: artifactPath('pull-page-verified.png') });
});

it('shows a no-386 image’s error as a sentence listing what it has', async () => {
  const { page, text } = await pull(`${reg.host}/amd64only:1`);
  expect(text).toContain('no matching manifest for linux/386');
  expect(text).toContain('it has linux/amd64, linux/arm64');
  await page.screenshot({ path: artifactPath('pull-page-no-386.png') });
});
