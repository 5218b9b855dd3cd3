// <tabdock-run> on a docs page in real Chromium: from the sources (Vite dev server) and from
// the built bundle (`npm run build`'s dist/tabdock-embed.js, served as static files with the
// CORS proxy beside it). Several elements share one engine worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { artifactPath, launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

let reg: TestRegistry;
let browser: Browser;
let image: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:1', { all: true });
  image = `${reg.host}/busybox:1`;
  Object.assign(process.env, { TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await reg?.stop();
});

/** Puts elements on the page; returns when they are defined. */
async function place(page: Page, markup: string): Promise<void> {
  await page.evaluate((m) => document.body.insertAdjacentHTML('beforeend', m), markup);
  await page.waitForFunction(() => customElements.get('tabdock-run') !== undefined);
}

/** Clicks an element's Run button and waits for it to finish; the element's output text. */
async function runExample(page: Page, id: string, timeout = 240_000): Promise<string> {
  const el = page.locator(`tabdock-run#${id}`);
  await el.getByRole('button', { name: /^Run/ }).click();
  await page.waitForFunction((i) => {
    const root = document.getElementById(i)!.shadowRoot!;
    return root.querySelector('button')?.textContent === 'Run again';
  }, id, { timeout, polling: 100 });
  return el.evaluate((e) => e.shadowRoot!.querySelector('pre')?.textContent ?? '');
}

const engineWorkers = (page: Page) => page.workers().filter((w) => /worker(\.ts|-[\w-]+\.js)/.test(w.url()));

describe('from the sources', () => {
  let dev: { url: string; server: ViteDevServer };
  let page: Page;
  beforeAll(async () => {
    dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
    page = await browser.newPage();
    page.on('pageerror', (e) => console.log('[page error]', e.message));
    await page.goto(`${dev.url}test/browser/embed-page.html`);
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await dev?.server.close();
  });

  it('runs its command on a docs page; two elements share one worker', async () => {
    await place(page, `
      <tabdock-run id="hello" image="${image}" cmd="echo hello"></tabdock-run>
      <tabdock-run id="env" image="${image}" options="-e GREETING=bonjour" cmd="sh -c 'echo $GREETING; exit 4'"></tabdock-run>
      <tabdock-run id="bad" image="${image}" cmd="echo 'unclosed"></tabdock-run>`);
    // The pull shows as one line while it runs, not as docker's report in the output.
    // Every note the element shows, recorded in the page as it changes (no sampling to miss one).
    await page.evaluate(() => {
      const root = document.querySelector('tabdock-run#hello')!.shadowRoot!;
      const seen: string[] = [];
      (globalThis as unknown as { helloNotes: string[] }).helloNotes = seen;
      const record = () => {
        const t = root.querySelector('.note')?.textContent;
        if (t && seen.at(-1) !== t) seen.push(t);
      };
      new MutationObserver(record).observe(root, { subtree: true, childList: true, characterData: true });
      record();
    });
    const out = await runExample(page, 'hello');
    expect(out).toBe('hello\n');
    const notes = await page.evaluate(() => (globalThis as unknown as { helloNotes: string[] }).helloNotes);
    expect(notes.some((n) => n.startsWith(`Pulling ${image}`) || n.includes('Linux guest'))).toBe(true);
    expect(await runExample(page, 'env')).toBe('bonjour\n');
    expect(await page.locator('tabdock-run#env .note').textContent()).toBe('exit status 4');
    expect(await page.locator('tabdock-run#bad [role=alert]').textContent()).toContain("the cmd attribute cannot be read: unexpected EOF while looking for matching `''");
    expect(engineWorkers(page)).toHaveLength(1);
    await page.screenshot({ path: artifactPath('embed-docs-page.png'), fullPage: true });
  }, 300_000);

  it('interactive mode attaches a terminal to the container', async () => {
    await place(page, `<tabdock-run id="it" image="${image}" cmd="sh" interactive></tabdock-run>`);
    const el = page.locator('tabdock-run#it');
    await el.getByRole('button', { name: 'Run' }).click();
    const text = () => el.evaluate((e) => (e.shadowRoot!.querySelector('tabdock-terminal') as HTMLElement & { text(): string }).text());
    await expect.poll(text, { timeout: 60_000 }).toMatch(/\/ # $/);
    await page.keyboard.type('echo $$ from the docs');
    await page.keyboard.press('Enter');
    await expect.poll(text, { timeout: 30_000 }).toMatch(/\n1 from the docs\n\/ # $/);
    await page.screenshot({ path: artifactPath('embed-interactive.png'), fullPage: true });
    await page.keyboard.type('exit 2');
    await page.keyboard.press('Enter');
    await expect.poll(() => el.locator('.note').textContent(), { timeout: 30_000 }).toBe('exit status 2');
    expect(engineWorkers(page)).toHaveLength(1);
  }, 120_000);
});

describe('from the built bundle', () => {
  let out: string;
  let server: PreviewServer;
  let page: Page;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'tabdock-dist-'));
    // What `npm run build` does, into a temp dir.
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    await build({ root: ROOT, configFile: join(ROOT, 'vite.embed.config.ts'), logLevel: 'warn', build: { outDir: out } });
    server = await preview({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out }, preview: { port: 0, host: '127.0.0.1' } });
    page = await browser.newPage();
    page.on('pageerror', (e) => console.log('[page error]', e.message));
  }, 180_000);
  afterAll(async () => {
    await page?.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('runs from dist/tabdock-embed.js with one script tag', async () => {
    const url = server.resolvedUrls!.local[0]!;
    await page.goto(`${url}embed.html`);
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.getAttribute('src')));
    expect(scripts).toEqual(['./tabdock-embed.js']);
    await place(page, `<tabdock-run id="built" image="${image}" cmd="echo built"></tabdock-run>`);
    expect(await runExample(page, 'built')).toBe('built\n');
    expect(engineWorkers(page).map((w) => new URL(w.url()).pathname)).toEqual([expect.stringMatching(/^\/assets\/worker-[\w-]+\.js$/)]);
    await page.screenshot({ path: artifactPath('embed-built-bundle.png'), fullPage: true });
  }, 300_000);
});
