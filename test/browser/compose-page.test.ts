// `docker compose` in the playground (issue 18, the page part), in real Chromium with the
// real guest in the engine worker and the registry on loopback: the files panel's example
// project holds compose.yaml, `docker compose up -d` typed in the shell runs it, the
// containers panel groups the project's containers by service, the published port's preview
// link shows the page the container serves, the client reached the web service by its
// name, and the project's `down` (refused while the shell runs a command) empties the group.
// Traffic stays on loopback and inside the guest.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { artifactPath, launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';

/** What the test reads of <tabdock-playground> (its module needs Vite's CSS imports, so it is not imported here). */
interface Playground extends HTMLElement {
  shell: { isBusy: boolean };
  terminalText(tab?: number): string;
  settled(tab?: number): Promise<void>;
}
declare global {
  interface HTMLElementTagNameMap {
    'tabdock-playground': Playground;
  }
}

let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;
let image: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:1', { all: true });
  image = `${reg.host}/busybox:1`;
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  await page.goto(dev.url);
  await page.waitForFunction(() => document.querySelector('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  for (const k of ['TABDOCK_PROXY_ALLOW', 'TABDOCK_INSECURE_REGISTRIES']) delete process.env[k];
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

const terminalText = () => page.evaluate(() => document.querySelector('tabdock-playground')!.terminalText(0));

async function idle(timeout = 120_000): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('tabdock-playground')!.shell.isBusy, null, { timeout, polling: 100 });
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
}

/** Types a line into the shell and waits for the prompt to come back; the line's output. */
async function command(line: string, timeout = 120_000): Promise<string> {
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
  const before = (await terminalText()).length;
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await idle(timeout);
  return (await terminalText()).slice(before);
}

const containers = (): Locator => page.locator('tabdock-playground tabdock-containers');
const group = (project: string): Locator => containers().locator(`section.project[data-project="${project}"]`);

it('compose.yaml from the files panel: up -d in the shell, the project grouped, its port previewed, down from the panel', async () => {
  const t0 = Date.now();
  // The example project holds compose.yaml (busybox: the loopback registry's, tagged so).
  const files = page.locator('tabdock-playground tabdock-files');
  await files.locator('li[data-path="compose.yaml"]').waitFor({ timeout: 30_000 });
  expect(await command(`docker pull -q ${image} && docker tag ${image} busybox`)).toMatch(/\ntabdock \$ $/);

  const up = await command('docker compose up -d', 180_000);
  expect(up).toContain(' Network demo_default  Created');
  expect(up.indexOf('Container demo-web-1  Started')).toBeGreaterThan(-1);
  expect(up.indexOf('Container demo-web-1  Started')).toBeLessThan(up.indexOf('Container demo-client-1  Started'));
  expect(up).toMatch(/\ntabdock \$ $/);

  // One group, named and counted, its containers by service and number.
  const demo = group('demo');
  await expect.poll(() => demo.getAttribute('data-running', { timeout: 30_000 }), { timeout: 30_000 }).toBe('2');
  expect(await demo.getAttribute('data-total')).toBe('2');
  expect(await containers().getByRole('group', { name: 'demo' }).count()).toBe(1);
  expect(await demo.locator('header .count').textContent()).toBe('2 running / 2 total');
  expect(await demo.locator('.item .name').allTextContents()).toEqual(['client-1', 'web-1']);
  expect(await demo.locator('.item').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['demo-client-1', 'demo-web-1']);
  // Nothing of the project is listed outside its group.
  expect(await containers().locator('.item').evaluateAll((els) => els.filter((e) => !e.closest('section.project')).length)).toBe(0);

  // The published port's link opens the web service's page in the preview pane.
  const link = demo.locator('.item[data-name="demo-web-1"] a.open[data-port="80"]');
  await link.waitFor({ timeout: 30_000 });
  expect(await link.textContent()).toMatch(/open :80\s*\(8080\)/);
  await link.click();
  const pane = page.locator('tabdock-playground tabdock-preview-pane');
  await pane.waitFor();
  const frame = page.frameLocator('tabdock-playground tabdock-preview-pane iframe');
  await expect.poll(async () => {
    const text = (await frame.locator('h1').textContent({ timeout: 5_000 }).catch(() => '')) ?? '';
    if (!text.includes('Hello from compose')) await pane.getByRole('button', { name: 'reload' }).click();
    return text;
  }, { timeout: 60_000, interval: 500 }).toBe('Hello from compose');
  await page.screenshot({ path: artifactPath('playground-compose.png') });

  // The client fetched the same page by the service's name on the project network.
  await expect.poll(() => command('docker compose logs client'), { timeout: 60_000, interval: 500 }).toContain('client-1  | <h1>Hello from compose</h1>\n');

  // While the shell runs a command, down is refused with a note and nothing is typed.
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type('docker compose logs -f web');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('tabdock-playground')!.shell.isBusy, null, { timeout: 10_000, polling: 50 });
  const busyMark = (await terminalText()).length;
  await demo.getByRole('button', { name: 'down: stop and remove project demo' }).click();
  await expect.poll(() => containers().locator('.note').textContent()).toBe('The shell is running a command: down can run when its prompt is back.');
  expect((await terminalText()).slice(busyMark)).not.toContain('compose -p');
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.press('Control+C');
  await idle();

  // At the prompt: down types `docker compose -p demo down` in the shell and runs it; the group goes.
  const mark = (await terminalText()).length;
  await demo.getByRole('button', { name: 'down: stop and remove project demo' }).click();
  await page.waitForFunction((n) => /^docker compose -p demo down\n/.test(document.querySelector('tabdock-playground')!.terminalText().slice(n)), mark, { timeout: 10_000 });
  await idle(120_000);
  const down = (await terminalText()).slice(mark);
  expect(down).toContain(' Container demo-web-1  Removed');
  expect(down).toContain(' Container demo-client-1  Removed');
  expect(down).toContain(' Network demo_default  Removed');
  expect(down).toMatch(/\ntabdock \$ $/);
  expect(await containers().locator('.note').count()).toBe(0);
  await expect.poll(() => containers().locator('section.project').count(), { timeout: 30_000 }).toBe(0);
  expect(await containers().locator('.empty').textContent()).toBe('No containers yet.');
  console.log(`compose in the page: pull, up -d, preview, logs, down in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 300_000);
