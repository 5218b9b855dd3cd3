// The playground page in real Chromium, as a person uses it: typing docker commands into
// the terminal (containers run in the guest restored in the page's worker), the panels,
// a reload keeping images and containers, errors as sentences, and a ?run= link.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { artifactPath, launchChromium, startDevServer, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../support/index.ts';
import { pushWasiImage } from '../support/wasi.ts';

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
let wasiHello: string;
let wasiExit: string;
/** The registry behind a proxy that answers 429 to manifest requests, as Docker Hub does past its limit. */
let limited: FaultProxy;

// A loopback port nothing listens on: the registry error a person gets for a host that is down.
let DOWN: string;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:1', { all: true });
  await reg.push('unemulated', 'unemulated:1', { all: true });
  await reg.push('busybox-amd64', 'bb-amd64:1');
  wasiHello = await pushWasiImage(reg, 'hello', 'tar', 'hello-wasi:1');
  wasiExit = await pushWasiImage(reg, 'exit42', 'artifact', 'exit42-wasi:1');
  image = `${reg.host}/busybox:1`;
  DOWN = `127.0.0.1:${await closedPort()}`;
  limited = await startFaultProxy(reg.url, [{ kind: 'rateLimit', match: /\/manifests\//, retryAfter: 3600 }]);
  const hosts = [reg.host, DOWN, limited.host].join(',');
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: hosts, TABDOCK_INSECURE_REGISTRIES: hosts });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  await open('');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await limited?.stop();
  await reg?.stop();
});

async function open(search: string): Promise<void> {
  await page.goto(`${dev.url}${search}`);
  // `?.()`: until its module has run (late on a loaded machine) the element is not upgraded
  // and has no terminalText; a throw would end the wait instead of waiting on.
  await page.waitForFunction(() => document.querySelector('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });
}

const terminalText = (tab = 0) => page.evaluate((i) => document.querySelector('tabdock-playground')!.terminalText(i), tab);

/** Types a line into the shell and waits for the prompt to come back; the line's output. */
async function command(line: string, timeout = 120_000): Promise<string> {
  await page.locator('tabdock-playground nav [data-tab=shell]').click();
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
  const before = (await terminalText()).length;
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await idle(timeout);
  const text = await terminalText();
  return text.slice(before);
}

async function idle(timeout = 120_000): Promise<void> {
  await page.waitForFunction(() => {
    const pg = document.querySelector('tabdock-playground') as Playground;
    return !pg.shell.isBusy;
  }, null, { timeout, polling: 100 });
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
}

async function waitForText(re: RegExp, tab = 0, timeout = 60_000): Promise<void> {
  await page.waitForFunction(([src, flags, i]) => new RegExp(src, flags).test(document.querySelector('tabdock-playground')!.terminalText(i)), [re.source, re.flags, tab] as const, { timeout, polling: 100 });
}

/** The text of a panel (or any element of the playground's shadow root). */
const shadowText = (selector: string) => page.evaluate((s) => {
  const el = document.querySelector('tabdock-playground')!.shadowRoot!.querySelector(s);
  return (el?.shadowRoot ?? el)?.textContent?.replace(/\s+/g, ' ') ?? '';
}, selector);

/** The error banners, newest first. */
const errorsShown = () => page.evaluate(() => {
  const root = document.querySelector('tabdock-playground')!.shadowRoot!.querySelector('tabdock-errors')!.shadowRoot!;
  return [...root.querySelectorAll('.error')].map((e) => ({ headline: e.querySelector('strong')!.textContent!, sentence: e.querySelector('.sentence')!.textContent! }));
});

it('runs docker run --rm and prints the output', async () => {
  const out = await command(`docker run --rm ${image} echo hello`, 240_000);
  expect(out).toMatch(/\nhello\n/);
  expect(await shadowText('tabdock-boot-indicator')).toContain('Linux guest ready');
  expect(await shadowText('tabdock-pull-progress')).toContain(`${image} (linux/386) done`);
  await page.screenshot({ path: artifactPath('playground-hello.png') });
}, 300_000);

it('a terminal left at the prompt stops blinking after 10 s, and then the page restyles nothing', async () => {
  // xterm's blink restyles the page every frame; a tab left open at a prompt must not.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const restyles = async (ms: number) => {
    const count = async () => ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.find((m) => m.name === 'RecalcStyleCount')!.value;
    const a = await count();
    await new Promise((r) => setTimeout(r, ms));
    return (await count()) - a;
  };
  const blinking = () => page.evaluate(() => (document.querySelector('tabdock-playground')!.shadowRoot!.querySelector('tabdock-terminal') as unknown as { blinking: boolean }).blinking);
  await page.locator('tabdock-playground nav [data-tab=shell]').click();
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type('x');
  await page.keyboard.press('Backspace');
  const typed = Date.now(); // the shell's echo of the last key restarts the 10 s after this
  expect(await blinking()).toBe(true);
  expect(await restyles(1000)).toBeGreaterThan(20); // what the blink costs while it runs
  await expect.poll(blinking, { timeout: 30_000, interval: 250 }).toBe(false);
  expect(Date.now() - typed).toBeGreaterThan(9_000);
  expect(await restyles(2000)).toBeLessThan(5);
  // A key brings the blink back.
  await page.keyboard.type('x');
  await page.keyboard.press('Backspace');
  expect(await blinking()).toBe(true);
  await cdp.detach();
}, 120_000);

it('docker save -o downloads the archive (skopeo reads it); dropping it on the page loads it', async () => {
  const download = page.waitForEvent('download', { timeout: 120_000 });
  const out = await command(`docker save -o bb.tar ${image}`);
  expect(out).not.toMatch(/Error|refusing/);
  const d = await download;
  expect(d.suggestedFilename()).toBe('bb.tar');
  const file = artifactPath('playground-save.tar');
  await d.saveAs(file);
  const { run } = await import('../support/proc.ts');
  const info = JSON.parse(await run('skopeo', ['inspect', `docker-archive:${file}`])) as { Architecture: string };
  expect(info.Architecture).toBe('386');
  expect(await command(`docker rmi ${image}`)).toContain('Untagged');
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(file).toString('base64');
  // A person drags the file onto the page: the same DragEvent, made here.
  await page.evaluate((b64) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], 'bb.tar', { type: 'application/x-tar' }));
    document.querySelector('tabdock-playground')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await waitForText(new RegExp(`Loaded image: ${image.replace(/[.]/g, '\\.')}`), 0, 120_000);
  await idle();
  expect(await command(`docker run --rm ${image} echo loaded`, 240_000)).toMatch(/\nloaded\n/);
}, 400_000);

it('runs WebAssembly images typed at the prompt (no guest for them), with their exit codes', async () => {
  expect(await command(`docker run --rm --platform wasi/wasm ${wasiHello}`)).toMatch(/\nhello from wasi\n/);
  const out = await command(`docker run --rm ${wasiExit}; echo $?`);
  expect(out).toMatch(/\n42\n/);
  expect(await command('docker images')).toMatch(/hello-wasi +1 .*\n/);
  await page.screenshot({ path: artifactPath('playground-wasi.png') });
}, 120_000);

it('docker run -it attaches the container to the terminal; exit 3 comes back as the status', async () => {
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(`docker run -it --name interactive ${image} sh`);
  await page.keyboard.press('Enter');
  await waitForText(/\/ # $/);
  await page.keyboard.type('echo $$');
  await page.keyboard.press('Enter');
  await waitForText(/echo \$\$\n1\n\/ # $/);
  // Ctrl-C reaches the container's shell (a fresh prompt), it does not end the run.
  await page.keyboard.type('sleep 100');
  await page.keyboard.press('Control+C');
  await waitForText(/sleep 100\^C\n\/ # $/);
  expect(await page.evaluate(() => (document.querySelector('tabdock-playground') as Playground).shell.isBusy)).toBe(true);
  await page.screenshot({ path: artifactPath('playground-run-it.png') });
  // The container's PTY follows the terminal's size.
  const size = () => page.evaluate(() => {
    const t = document.querySelector('tabdock-playground')!.shadowRoot!.querySelector('tabdock-terminal') as HTMLElement & { size(): { cols: number; rows: number } };
    return t.size();
  });
  // A resize reaches the PTY a moment after the terminal's (as with Docker): ask until it has.
  const sttyReports = async (want: { rows: number; cols: number }) => {
    let seen = '';
    for (let i = 0; i < 20; i++) {
      const mark = (await terminalText()).length;
      await page.keyboard.type('busybox stty size');
      await page.keyboard.press('Enter');
      await waitForText(/stty size\n\d+ \d+\n\/ # $/);
      seen = (await terminalText()).slice(mark);
      if (seen.includes(`\n${want.rows} ${want.cols}\n`)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`stty never reported ${want.rows} ${want.cols}; last: ${JSON.stringify(seen)}`);
  };
  const before = await size();
  await sttyReports(before);
  await page.setViewportSize({ width: 1000, height: 600 });
  await expect.poll(async () => (await size()).cols).toBeLessThan(before.cols);
  await sttyReports(await size());
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect.poll(async () => (await size()).cols).toBe(before.cols);
  await page.keyboard.type('exit 3');
  await page.keyboard.press('Enter');
  await idle();
  // The tail only: a failure's diff then shows the end of the terminal.
  expect((await terminalText()).slice(-300)).toMatch(/exit 3\ntabdock \[3\] \$ $/);
  expect(await command('echo $?')).toMatch(/\n3\n/);
  // Ctrl-D is a byte for the container's shell too: at its empty prompt, it leaves (status 0).
  await page.keyboard.type(`docker run -it --rm ${image} sh`);
  await page.keyboard.press('Enter');
  await waitForText(/\/ # $/);
  await page.keyboard.press('Control+D');
  await idle();
  expect(await terminalText()).toMatch(/\/ # \n?tabdock \$ $/);
}, 120_000);

it('docker run -i without -t: lines are echoed here and sent on Enter, Ctrl-D ends the input', async () => {
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(`docker run -i --rm ${image} sh -c 'cat; echo cat ended'`);
  await page.keyboard.press('Enter');
  await page.keyboard.type('to cat');
  await page.keyboard.press('Enter');
  await waitForText(/\nto cat\nto cat$/);
  await page.keyboard.press('Control+D');
  await idle();
  expect(await terminalText()).toMatch(/\nto cat\nto cat\ncat ended\ntabdock \$ $/);
}, 120_000);

it('keeps a pulled image and a stopped container across a reload', async () => {
  expect(await command('docker volume create kept-volume')).toContain('kept-volume');
  expect(await command(`docker run --name kept ${image} echo kept`)).toContain('kept');
  await page.reload();
  await page.waitForFunction(() => document.querySelector('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });
  await page.waitForFunction((img) => {
    const root = document.querySelector('tabdock-playground')!.shadowRoot!;
    const images = root.querySelector('tabdock-images')!.shadowRoot!.textContent!;
    const containers = root.querySelector('tabdock-containers')!.shadowRoot!.textContent!;
    return images.includes(img) && containers.includes('kept') && containers.includes('interactive');
  }, image, { timeout: 30_000 });
  const containers = await shadowText('tabdock-containers');
  expect(containers).toMatch(/kept \S+ Exited \(0\)/);
  expect(containers).toMatch(/interactive \S+ Exited \(3\)/);
  expect(await shadowText('tabdock-images')).toMatch(/busybox:1 2\.\d+MB/);
  // The history came back too.
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.press('ArrowUp');
  await waitForText(/tabdock \$ docker run --name kept \S+ echo kept$/);
  await page.keyboard.press('Control+U');
  expect(await command('docker volume ls')).toMatch(/local\s+kept-volume\n/);
  await page.screenshot({ path: artifactPath('playground-after-reload.png') });
}, 120_000);

it('shows a registry that is down as a sentence', async () => {
  const out = await command(`docker pull ${DOWN}/nothing:1`);
  expect(out).toContain(`Error response from daemon: cannot reach registry ${DOWN}`);
  expect((await errorsShown())[0]).toEqual({
    headline: 'Registry unreachable',
    sentence: `Cannot reach registry ${DOWN}: connect ECONNREFUSED ${DOWN}; check the registry in the image name, or try again later.`,
  });
  await page.screenshot({ path: artifactPath('playground-registry-down.png') });
}, 120_000);

it('runs an amd64 image through QEMU in the guest: -it shell, its own machine, and the panel says it is emulated', async () => {
  const amd64 = `${reg.host}/bb-amd64:1`;
  // Pulled, the emulator fetched from the site's guest assets and registered in the guest, then a shell.
  const before = (await terminalText()).length;
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(`docker run -it --name emulated ${amd64} sh`);
  await page.keyboard.press('Enter');
  await waitForText(/\/ # $/, 0, 300_000);
  expect((await terminalText()).slice(before)).toContain("WARNING: The requested image's platform (linux/amd64)");
  await page.keyboard.type('uname -m');
  await page.keyboard.press('Enter');
  await waitForText(/uname -m\r?\nx86_64\r?\n\/ # $/, 0, 120_000);
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).toMatch(/emulated \S+ Up .*\(emulated linux\/amd64\)/);
  await page.screenshot({ path: artifactPath('playground-emulated.png') });
  await page.keyboard.type('exit 5');
  await page.keyboard.press('Enter');
  await idle();
  expect((await terminalText()).slice(-300)).toMatch(/exit 5\ntabdock \[5\] \$ $/);
  await command('docker rm emulated');
}, 400_000);

it('shows an image without linux/386 or an emulated platform as a sentence listing what it has', async () => {
  const out = await command(`docker run --rm ${reg.host}/unemulated:1 true`);
  expect(out).toContain('no matching manifest for linux/386');
  const [shown] = await errorsShown();
  expect(shown!.headline).toBe('No linux/386 variant');
  expect(shown!.sentence).toMatch(new RegExp(`^No matching manifest for linux/386 in the manifest list entries of ${reg.host}/unemulated:1; it has linux/s390x, linux/ppc64le\\. .*\\.$`));
  expect(await shadowText('tabdock-pull-progress')).toContain('failed');
  await page.screenshot({ path: artifactPath('playground-no-386.png') });
}, 120_000);

it('shows a registry rate limit as a sentence', async () => {
  const out = await command(`docker pull ${limited.host}/busybox:1`);
  expect(out).toContain(`Error response from daemon: ${limited.host} rate-limited the pull of`);
  expect((await errorsShown())[0]).toEqual({
    headline: 'Rate limited',
    sentence: `${limited.host} rate-limited the pull of ${limited.host}/busybox:1 (limit 100 pulls per 6 h, 0 remaining, retry after 1 h): wait and try again, or authenticate to get a higher limit.`,
  });
  await page.screenshot({ path: artifactPath('playground-rate-limited.png') });
}, 120_000);

it('runs the command of a ?run= link, and offers one that removes things at the prompt', async () => {
  const line = `docker run --rm ${image} echo from a link`;
  await open(`?run=${encodeURIComponent(line)}`);
  await waitForText(/\nfrom a link\n/);
  await idle();
  const href = await page.evaluate(() => document.querySelector('tabdock-playground')!.shadowRoot!.querySelector<HTMLAnchorElement>('a.share')!.href);
  expect(new URL(href).searchParams.get('run')).toBe(line);

  await open(`?run=${encodeURIComponent('docker rm kept')}`);
  await waitForText(/press Enter to run it\.[\s\S]*tabdock \$ docker rm kept$/);
  expect(await page.evaluate(() => (document.querySelector('tabdock-playground') as Playground).shell.isBusy)).toBe(false);
  await page.keyboard.press('Enter');
  await idle();
  expect(await terminalText()).toMatch(/docker rm kept\nkept\n/);
}, 120_000);

it('shows a detached container that exits by itself as exited, with no action in the page', async () => {
  await command(`docker run -d --name bymyself ${image} sh -c 'sleep 5; exit 4'`);
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).toMatch(/bymyself \S+ Up/);
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).toMatch(/bymyself \S+ Exited \(4\)/);
}, 120_000);

it('opens a shell in a running container from the containers panel, and stops and removes it', async () => {
  // Its shell answers the stop's SIGTERM (a PID 1 without a handler would sit out the 10 s
  // grace until the SIGKILL: run.test.ts holds that path to its 137).
  await command(`docker run -d --name bg ${image} sh -c 'echo from bg; trap "exit 0" TERM; sleep 600 & wait'`);
  const root = page.locator('tabdock-playground');
  const row = root.locator('tabdock-containers .item[data-name="bg"]');
  await row.getByRole('button', { name: 'terminal' }).click();
  await waitForText(/\/ # $/, 1);
  await page.keyboard.type('ps');
  await page.keyboard.press('Enter');
  await waitForText(/sleep 600/, 1);
  await page.screenshot({ path: artifactPath('playground-exec-tab.png') });
  await page.keyboard.type('exit');
  await page.keyboard.press('Enter');
  await waitForText(/\[shell ended\]/, 1);
  await root.getByRole('button', { name: 'close sh: bg' }).click();
  await row.getByRole('button', { name: 'stop' }).click();
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).toMatch(/bg \S+ Exited \(0\)/);
  // The logs tab shows what the stopped container printed, then ends.
  await row.getByRole('button', { name: 'logs' }).click();
  await waitForText(/^\$ docker logs bg\nfrom bg\n\n\[logs ended\]$/, 1);
  await row.getByRole('button', { name: 'remove' }).click();
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).not.toContain('bg');
}, 120_000);

it('reset asks first, then clears images, containers, volumes and the history', async () => {
  await command(`docker pull ${image}`);
  await command('docker volume create kept-volume');
  // confirm() blocks the page until answered: once dismissed, the click's handler has returned.
  const asked = new Promise<string>((resolve) => page.once('dialog', (d) => { resolve(d.message()); void d.dismiss(); }));
  await page.locator('tabdock-playground').getByRole('button', { name: 'Reset' }).click();
  expect(await asked).toContain('removes every image, container and volume');
  expect(await command('docker volume ls')).toContain('kept-volume');
  expect(await shadowText('tabdock-images')).toContain('busybox:1');

  const askedAgain = new Promise<string>((resolve) => page.once('dialog', (d) => { resolve(d.message()); void d.accept(); }));
  await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.locator('tabdock-playground').getByRole('button', { name: 'Reset' }).click()]);
  expect(await askedAgain).toContain('removes every image, container and volume');
  await page.waitForFunction(() => document.querySelector('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });
  await expect.poll(() => shadowText('tabdock-images'), { timeout: 30_000 }).toContain('No images yet');
  await expect.poll(() => shadowText('tabdock-containers'), { timeout: 30_000 }).toContain('No containers yet');
  expect(await command('docker volume ls')).not.toContain('kept-volume');
  expect(await command('history')).toMatch(/^history\n\s+1\s+docker volume ls\n\s+2\s+history\n/);
  await page.screenshot({ path: artifactPath('playground-after-reset.png') });
}, 120_000);
