// The playground's files panel in real Chromium, as a person uses it: the example project
// on a fresh page, editing in place, new file, rename, the executable bit, delete, files
// and a folder dropped on the panel (a drop elsewhere stays `docker load`'s), all kept
// across a reload; then the Build button and `docker build` typed in the shell, the
// image run, and a reload keeping the build cache.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
let tmp: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:1', { all: true });
  image = `${reg.host}/busybox:1`;
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  tmp = mkdtempSync(join(tmpdir(), 'tabdock-files-panel-'));
  await page.goto(dev.url);
  await ready();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function ready(): Promise<void> {
  await page.waitForFunction(() => document.querySelector('tabdock-playground')?.terminalText().includes('tabdock $'), null, { timeout: 60_000 });
  await panel().locator('li').first().waitFor({ timeout: 30_000 });
}

async function reload(): Promise<void> {
  await page.reload();
  await ready();
}

const panel = (): Locator => page.locator('tabdock-playground tabdock-files');
const row = (path: string): Locator => panel().locator(`li[data-path="${path}"]`);
const editor = (): Locator => panel().locator('textarea');
/** The panel's files as `path mode` (the mode from the row's title). */
const listed = async (): Promise<string[]> => {
  const titles = await panel().locator('li .name').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
  return titles.map((t) => t.replace(/^(.*) \(mode (\d+)\)$/, '$1 $2'));
};
/** The store's content of a file once saved, read back through a fresh connection as a reload would. */
const stored = (path: string) => page.evaluate(async (p) => {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open('tabdock-project');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const f = await new Promise<{ bytes: Uint8Array } | undefined>((resolve, reject) => {
    const r = db.transaction('files').objectStore('files').get(p);
    r.onsuccess = () => resolve(r.result as { bytes: Uint8Array } | undefined);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return f && new TextDecoder().decode(f.bytes);
}, path);

const terminalText = () => page.evaluate(() => document.querySelector('tabdock-playground')!.terminalText());

async function idle(timeout = 120_000): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('tabdock-playground')!.shell.isBusy, null, { timeout, polling: 100 });
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
}

/** Types a line into the shell and waits for the prompt to come back; the line's output. */
async function command(line: string, timeout = 240_000): Promise<string> {
  await page.evaluate(() => document.querySelector('tabdock-playground')!.settled());
  const before = (await terminalText()).length;
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await idle(timeout);
  return (await terminalText()).slice(before);
}

/**
 * Whether a build's output shows a step as CACHED, in BuildKit's tty form (` => CACHED [2/4]
 * STEP`) or its plain form (`#5 [2/4] STEP` then `#5 CACHED`).
 */
function cached(out: string, step: string): boolean {
  const s = step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`=> CACHED \\[\\d+/\\d+\\] ${s}`).test(out) || new RegExp(`#(\\d+) \\[\\d+/\\d+\\] ${s}\\n#\\1 CACHED`).test(out);
}

/** Answers the next prompt()/confirm() with `answer`. */
function answerDialog(answer: string | boolean): Promise<string> {
  return new Promise((resolve) => page.once('dialog', (d) => {
    resolve(d.message());
    void (answer === false ? d.dismiss() : d.accept(typeof answer === 'string' ? answer : undefined));
  }));
}

it('a fresh page holds the example project; edits, new file, rename, the executable bit and delete are kept across a reload', async () => {
  expect(await listed()).toEqual(['Dockerfile 0644', 'compose.yaml 0644', 'greet.sh 0755', 'hello.txt 0644']);
  expect(await editor().inputValue()).toMatch(/^FROM busybox$/m);
  await page.screenshot({ path: artifactPath('files-panel-example.png') });

  await row('hello.txt').locator('.name').click();
  await editor().fill('edited in place\n');
  await expect.poll(() => stored('hello.txt')).toBe('edited in place\n');
  // Typed at the start, key by key: each key saved, the cursor staying where it types.
  await editor().press('Control+Home');
  await page.keyboard.type('>> typed fast, ahead of the saves: ');
  await expect.poll(() => stored('hello.txt')).toBe('>> typed fast, ahead of the saves: edited in place\n');
  await editor().fill('edited in place\n');

  const asked = answerDialog('notes/todo.txt');
  await panel().getByRole('button', { name: 'New file' }).click();
  expect(await asked).toContain('New file');
  await row('notes/todo.txt').waitFor();
  expect(await panel().locator('li[aria-selected=true]').getAttribute('data-path')).toBe('notes/todo.txt');
  await editor().fill('#!/bin/sh\necho todo\n');
  const renamed = answerDialog('bin/todo');
  await row('notes/todo.txt').getByRole('button', { name: 'rename notes/todo.txt' }).click();
  await renamed;
  await row('bin/todo').getByRole('checkbox').check();
  // A name the tree cannot hold is refused as a sentence, and nothing changes.
  const clash = answerDialog('hello.txt/x');
  await panel().getByRole('button', { name: 'New file' }).click();
  await clash;
  await expect.poll(() => page.locator('tabdock-playground tabdock-errors .error').first().textContent()).toContain('hello.txt is a file, not a folder');

  const gone = answerDialog('scratch');
  await panel().getByRole('button', { name: 'New file' }).click();
  await gone;
  await row('scratch').waitFor();
  const sure = answerDialog(true);
  await row('scratch').getByRole('button', { name: 'delete scratch' }).click();
  expect(await sure).toContain('Delete scratch');
  await row('scratch').waitFor({ state: 'detached' });

  await reload();
  expect(await listed()).toEqual(['Dockerfile 0644', 'bin/todo 0755', 'compose.yaml 0644', 'greet.sh 0755', 'hello.txt 0644']);
  await row('bin/todo').locator('.name').click();
  expect(await editor().inputValue()).toBe('#!/bin/sh\necho todo\n');
  await row('hello.txt').locator('.name').click();
  expect(await editor().inputValue()).toBe('edited in place\n');
}, 120_000);

it('files dropped on the panel join the project (a tar too); a file dropped elsewhere is kept for docker load', async () => {
  // The same DragEvents a drop from the desktop makes, composed out of the panel's shadow root.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }));
    dt.items.add(new File([new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0])], 'tool', {}));
    dt.items.add(new File([new Uint8Array(1024)], 'not-loaded.tar', { type: 'application/x-tar' }));
    const target = document.querySelector('tabdock-playground')!.shadowRoot!.querySelector('tabdock-files')!.shadowRoot!.querySelector('ul')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
  });
  await row('not-loaded.tar').waitFor();
  expect(await listed()).toEqual(expect.arrayContaining(['dropped.txt 0644', 'tool 0755', 'not-loaded.tar 0644']));
  expect(await panel().locator('.note').textContent()).toBe('Added 3 files.');
  expect(await terminalText()).not.toContain('docker load');

  // Dropped beside the panel: the page's drop, as before (kept under its name for load -i).
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'elsewhere.txt', { type: 'text/plain' }));
    document.querySelector('tabdock-playground')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
  });
  const out = await command('docker load -i elsewhere.txt');
  expect(out).not.toContain('no such file');
  expect(await listed()).not.toContain('elsewhere.txt 0644');
  for (const p of ['dropped.txt', 'tool', 'not-loaded.tar']) {
    const sure = answerDialog(true);
    await row(p).getByRole('button', { name: `delete ${p}` }).click();
    await sure;
    await row(p).waitFor({ state: 'detached' });
  }
}, 120_000);

it('a folder dragged from the desktop, or picked with Add folder, brings its tree; its contents go to the root', async () => {
  const dir = join(tmp, 'site');
  mkdirSync(join(dir, 'www', 'img'), { recursive: true });
  writeFileSync(join(dir, 'www', 'index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(dir, 'www', 'img', 'dot.gif'), Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\nhttpd -f\n');

  // A drag from the desktop as Chromium gets it from the OS: DevTools' drag events with the folder's path.
  const box = (await panel().boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const at = { x: box.x + box.width / 2, y: box.y + 40 };
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await row('www/img/dot.gif').waitFor({ timeout: 30_000 });
  expect(await listed()).toEqual(expect.arrayContaining(['run.sh 0755', 'www/index.html 0644', 'www/img/dot.gif 0644']));
  await row('www/img/dot.gif').locator('.name').click();
  expect(await panel().locator('.empty').textContent()).toContain('binary file (14 bytes)');
  await page.screenshot({ path: artifactPath('files-panel-folder.png') });

  // The same tree through Add folder (<input webkitdirectory>), over the same paths.
  writeFileSync(join(dir, 'www', 'index.html'), '<h1>picked</h1>\n');
  await panel().locator('input.folder').setInputFiles(dir);
  await expect.poll(() => stored('www/index.html')).toBe('<h1>picked</h1>\n');
  for (const p of ['run.sh', 'www/index.html', 'www/img/dot.gif']) {
    const sure = answerDialog(true);
    await row(p).getByRole('button', { name: `delete ${p}` }).click();
    await sure;
    await row(p).waitFor({ state: 'detached' });
  }
}, 120_000);

it('Build types its command at the prompt; while a command runs it says so and runs nothing', async () => {
  // `docker events` runs until Ctrl-C: the shell is busy.
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.type('docker events');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('tabdock-playground')!.shell.isBusy);
  const before = (await terminalText()).length;
  await panel().getByRole('textbox', { name: 'image name' }).fill('my app');
  await panel().getByRole('button', { name: 'Build' }).click();
  await expect.poll(() => panel().locator('.note').textContent()).toBe('The shell is running a command: Build can run when its prompt is back.');
  expect((await terminalText()).slice(before)).not.toContain('build');
  await page.locator('tabdock-playground tabdock-terminal').first().click();
  await page.keyboard.press('Control+C');
  await idle();
  // At the prompt, half a line typed: Build replaces it with its own, the name quoted for the shell.
  await page.keyboard.type('docker ps');
  await panel().getByRole('button', { name: 'Build' }).click();
  await page.waitForFunction(() => /tabdock \[?\d*\]? ?\$ docker build -t 'my app' \.\n/.test(document.querySelector('tabdock-playground')!.terminalText()), null, { timeout: 10_000 });
  await idle();
  expect(await panel().locator('.note').count()).toBe(0);
  await panel().getByRole('textbox', { name: 'image name' }).fill('app');
}, 120_000);

// Needs the engine's builder and the `docker build` command (issue 15's other half).
it('Build runs docker build in the shell; the image runs; after a reload the same build is CACHED', async () => {
  await row('Dockerfile').locator('.name').click();
  const dockerfile = (await editor().inputValue()).replace(/^FROM busybox$/m, `FROM ${image}`);
  await editor().fill(dockerfile);
  await row('hello.txt').locator('.name').click();
  await editor().fill('Built from the files panel.\n');
  await panel().getByRole('textbox', { name: 'image name' }).fill('app');
  const before = (await terminalText()).length;
  await panel().getByRole('button', { name: 'Build' }).click();
  // The edits are saved first, then the line is typed at the prompt.
  await page.waitForFunction((n) => document.querySelector('tabdock-playground')!.terminalText().slice(n).startsWith('docker build -t app .\n'), before, { timeout: 30_000 });
  await idle(400_000);
  const built = (await terminalText()).slice(before);
  await page.screenshot({ path: artifactPath('files-panel-build.png') });
  expect(built).toMatch(/^docker build -t app \.\n/);
  expect(built).toMatch(/\[\d\/\d\] RUN wc -c < hello\.txt > size\.txt/);
  expect(built).not.toMatch(/ERROR/);
  expect(built).toMatch(/(FINISHED|DONE)[^\n]*\n(.*\n)*tabdock \$ $/);

  const ran = await command('docker run --rm app');
  expect(ran).toMatch(/\nBuilt from the files panel\.\n\(\s*28 bytes, counted when the image was built\)\n/);

  // After a reload the project and the build cache are still there: every step is CACHED.
  await reload();
  const again = await command('docker build -t app .', 400_000);
  for (const step of ['WORKDIR /app', 'COPY hello.txt greet.sh ./', 'RUN wc -c < hello.txt > size.txt']) expect(again).toSatisfy((o: string) => cached(o, step), `${step} CACHED`);
  expect(again).toMatch(/\ntabdock \$ $/);
  await page.screenshot({ path: artifactPath('files-panel-rebuild.png') });

  // One copied file changed in the panel: its COPY and what follows run again, the steps before stay CACHED.
  await row('hello.txt').locator('.name').click();
  await editor().fill('Changed after the reload.\n');
  const mark = (await terminalText()).length;
  await panel().getByRole('button', { name: 'Build' }).click();
  await page.waitForFunction((n) => document.querySelector('tabdock-playground')!.terminalText().slice(n).startsWith('docker build -t app .\n'), mark, { timeout: 30_000 });
  await idle(400_000);
  const changed = (await terminalText()).slice(mark);
  expect(changed).toSatisfy((o: string) => cached(o, 'WORKDIR /app'), 'WORKDIR /app CACHED');
  for (const step of ['COPY hello.txt greet.sh ./', 'RUN wc -c < hello.txt > size.txt']) {
    expect(changed).toContain(step);
    expect(changed).not.toSatisfy((o: string) => cached(o, step), `${step} run again`);
  }
  expect(await command('docker run --rm app')).toMatch(/\nChanged after the reload\.\n\(\s*26 bytes, counted when the image was built\)\n/);
}, 900_000);
