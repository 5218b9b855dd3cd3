// The playground in real Chromium, as built by `npm run build` and served by `vite preview`
// with the CORS proxy mounted: page load to an interactive terminal, and page load to the
// end of `docker run --rm busybox true` typed through a ?run= link, with the image and the
// guest files cached and with nothing cached. Baselines in the same run: an empty page
// from the same server, and the same run through the Node CLI from a stopped daemon
// (snapshot restore) and from an empty store.
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { cliHome, launchChromium, startRegistry } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 3;

// Page-side code is passed as strings: this file compiles without the DOM lib.
const TEXT = `(document.querySelector('tabdock-playground')?.terminalText?.() ?? '')`;

/** ms from navigation start until the terminal shows a prompt. */
async function terminalReady(ctx: BrowserContext, url: string): Promise<number> {
  const page = await ctx.newPage();
  await page.goto(url);
  const h = await page.waitForFunction(`${TEXT}.includes('tabdock $') ? performance.now() : false`, null, { timeout: 60_000, polling: 'raf' });
  const t = (await h.jsonValue()) as number;
  await page.close();
  return t;
}

/** ms from navigation start until a ?run= command has run and the prompt is back. */
async function runLink(ctx: BrowserContext, url: string, line: string): Promise<number> {
  const page = await ctx.newPage();
  await page.goto(`${url}?run=${encodeURIComponent(line)}`);
  const h = await page.waitForFunction(`(() => {
    const text = ${TEXT};
    const at = text.indexOf(${JSON.stringify(line)});
    if (at === -1) return false;
    const after = text.slice(at + ${line.length});
    if (/Error response|tabdock: /.test(after)) return -1;
    return after.includes('tabdock $') ? performance.now() : false;
  })()`, null, { timeout: 240_000, polling: 50 });
  const t = (await h.jsonValue()) as number;
  if (t < 0) throw new Error(`the command failed in the page: ${String(await page.evaluate(TEXT))}`);
  await page.close();
  return t;
}

export async function benchBrowser(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const out = mkdtempSync(join(tmpdir(), 'tabdock-bench-site-'));
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  try {
    await reg.push('busybox', 'busybox:latest', { all: true });
    const IMG = `${reg.host}/busybox`;
    Object.assign(process.env, { TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    copyFileSync(join(ROOT, 'bench', 'blank.html'), join(out, 'blank.html'));
    server = await preview({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out }, preview: { port: 0, host: '127.0.0.1' } });
    const url = server.resolvedUrls!.local[0]!;
    browser = await launchChromium();

    // An empty page from the same server (fresh context each: nothing cached).
    const blank: number[] = [];
    const term: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await browser.newContext();
      const p = await a.newPage();
      await p.goto(`${url}blank.html`);
      blank.push((await p.evaluate(`performance.getEntriesByType('navigation')[0].loadEventEnd`)) as number);
      await a.close();
      const b = await browser.newContext();
      term.push(await terminalReady(b, url));
      await b.close();
    }

    const line = `docker run --rm ${IMG} true`;
    // Nothing cached: a fresh context pulls the image and fetches the guest files.
    const cold: number[] = [];
    const cached: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext();
      cold.push(await runLink(ctx, url, line));
      // The same context again: the image in IndexedDB, the guest files in the HTTP cache.
      cached.push(await runLink(ctx, url, line));
      await ctx.close();
    }

    // Node baselines: the CLI from a stopped daemon (restore + run), and from an empty store.
    cli.env['TABDOCK_INSECURE_REGISTRIES'] = reg.host;
    const timed = async (...args: string[]) => {
      const t = performance.now();
      const r = await cli.run(...args);
      if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed: ${r.stderr}`);
      return performance.now() - t;
    };
    const nodeCold = await timed('run', '--rm', IMG, 'true');
    const nodeSnap: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await cli.run('daemon', 'stop');
      nodeSnap.push(await timed('run', '--rm', IMG, 'true'));
    }
    const t = median(term);
    const c = median(cached);
    return [
      { name: 'page load to an interactive terminal (built site)', value: Math.round(t), unit: 'ms', baseline: 'an empty page from the same server', baselineValue: Math.round(median(blank)), target: '<= 2000 ms', pass: t <= 2000 },
      { name: 'page load to `docker run --rm busybox true` done, image and guest cached', value: Math.round(c), unit: 'ms', baseline: 'tabdock CLI, daemon stopped (restore + run)', baselineValue: Math.round(median(nodeSnap)), target: '<= 4000 ms', pass: c <= 4000 },
      { name: 'page load to `docker run --rm busybox true` done, nothing cached', value: Math.round(median(cold)), unit: 'ms', baseline: 'tabdock CLI, empty store (pull + restore + run)', baselineValue: Math.round(nodeCold) },
    ];
  } finally {
    cli.run('daemon', 'stop').catch(() => {});
    await browser?.close();
    await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
    rmSync(out, { recursive: true, force: true });
    cli.dispose();
    await reg.stop();
  }
}
