// The playground's Memory setting (issue 19) in real Chromium: choosing 512 MiB keeps it
// (localStorage) and reloads the page; the guest in the page's worker then has that memory
// (booted from scratch: the snapshot holds 256 MiB), as /proc/meminfo read from a container
// shows. Lines run through the page's shell (`runCaptured`), the registry is on loopback.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';
import { runInPageShell, type CapturingPlayground, type LineOutput } from './page-shell.ts';


const MIB = 1024 * 1024;
let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;

const prompt = () => page.waitForFunction(() => document.querySelector<CapturingPlayground>('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });

const line = (l: string): Promise<LineOutput> => runInPageShell(page, l, 300_000);

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(dev.url);
  await prompt();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

it('gives the page\'s guest the memory chosen in the Memory setting, after a reload', async () => {
  const select = page.locator('tabdock-playground label.memory select');
  expect(await select.inputValue()).toBe(String(256 * MIB));
  // Choosing asks (accepted above), keeps the choice and reloads the page.
  await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), select.selectOption(String(512 * MIB))]);
  await prompt();
  expect(await page.evaluate(() => localStorage.getItem('tabdock.guest-memory'))).toBe(String(512 * MIB));
  expect(await page.locator('tabdock-playground label.memory select').inputValue()).toBe(String(512 * MIB));

  expect((await line(`docker pull ${reg.host}/busybox`)).status).toBe(0);
  // Shell builtins only: the busybox fixture links no grep.
  const r = await line(`docker run --rm --network none ${reg.host}/busybox sh -c 'while read -r l; do case $l in MemTotal*) echo $l;; esac; done < /proc/meminfo'`);
  expect(r.status, r.stderr).toBe(0);
  const kb = Number(/MemTotal:\s+(\d+) kB/.exec(r.stdout)?.[1]);
  // What the kernel keeps for itself aside, well past the whole of the 256 MiB guest.
  expect(kb).toBeGreaterThan(400 * 1024);
  expect(kb).toBeLessThanOrEqual(512 * 1024);
}, 400_000);
