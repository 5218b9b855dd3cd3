// The page half of docker-lists.test.ts (issue 19): the same setup and the same cases
// recorded from docker 20.10 (src/docker-cli/testdata/), run through the playground page's
// shell in real Chromium, on the page's engine and the guest in its worker. Each line goes
// through the shell as the panels' buttons send it (`runCaptured`: shown as typed,
// tokenized, run by docker-cli's runDocker on the shell's TerminalIo), which hands back
// stdout and stderr apart and the exit status; the xterm screen mixes the two and wraps.
// The words are quoted by the shell's own quoteArgv (a tab becomes $'\t': a typed line
// cannot hold one). The page's program name is `docker`, so only the registry's address
// (REG) is normalised; the known differences are the Node test's, for the same reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import recorded from '../../src/docker-cli/testdata/docker-lists.json' with { type: 'json' };
import cases from '../../src/docker-cli/testdata/list-cases.json' with { type: 'json' };
import { quoteArgv } from '../../src/ui/shell/tokenize.ts';
import { DOCKER_LISTS_KNOWN } from '../support/docker-lists-known.ts';
import { runInPageShell, type CapturingPlayground, type LineOutput } from './page-shell.ts';
import { launchChromium, startDevServer, startRegistry, type TestRegistry } from '../support/index.ts';


let reg: TestRegistry;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;

/** `docker ARGS` typed into the page's shell, as a line the shell reads back into ARGS. */
function docker(args: string[], timeout = 60_000): Promise<LineOutput> {
  return runInPageShell(page, quoteArgv(['docker', ...args]), timeout);
}

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  const image = `${reg.host}/busybox`;
  dev = await startDevServer({ TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.log('[page error]', e.message));
  await page.goto(dev.url);
  // `?.()`: until its module has run the element is not upgraded and has no terminalText.
  await page.waitForFunction(() => document.querySelector<CapturingPlayground>('tabdock-playground')?.terminalText?.().includes('tabdock $'), null, { timeout: 60_000 });
  const must = async (args: string[], ok = [0], timeout?: number) => {
    const r = await docker(args, timeout);
    if (!ok.includes(r.status)) throw new Error(`docker ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  };
  await must(['pull', image], [0], 180_000);
  await must(['tag', image, 'bb:1']);
  // c2 exits 3 on purpose; the first run waits for the page's guest.
  for (const s of cases.setup) await must(s, [0, 3], 240_000);
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await dev?.server.close();
  await reg?.stop();
});

describe(`lists and templates in the page's shell as ${recorded.recordedWith} prints them`, () => {
  it.each(recorded.cases.map((c) => ({ ...c, name: c.args.join(' ') })))('$name', async (c) => {
    const r = await docker(c.args);
    const norm = (s: string) => s.replaceAll(reg.host, 'REG');
    const want = { stdout: c.stdout, stderr: (DOCKER_LISTS_KNOWN[c.name]?.stderrPrefix ?? '') + c.stderr, status: c.code };
    expect({ stdout: norm(r.stdout), stderr: norm(r.stderr), status: r.status }, `docker ${c.name}`).toEqual(want);
  }, 60_000);
});
