// Container networking in the page (issue 14), the Chromium half of the `network` section:
// the playground in real Chromium (its engine worker, the real guest) on the dev server,
// whose Wisp relay is allow-listed for exactly one address and port on this machine.
// Ingress: the page fetches 16 MiB from a container's httpd at its preview URL (Service
// Worker -> the tab -> engine worker -> guest), beside the same download by wget in another
// container on the same network. Then egress: a container downloads 16 MiB from a server
// on 127.0.0.1 through the relay, beside curl on this machine: its first timed download and
// the median of the next 3. The order is the Node bench's: the guest's first large
// transfers run while v86 still compiles its network paths (slower by half), and those
// fall on the ingress rows, whose baseline is measured as cold. A download in a container
// is timed inside it (not the `docker exec` around it); every download's size is checked.
// Loopback only.
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { PREVIEW_PATH } from '../src/engine/browser/preview-protocol.ts';
import { launchChromium, startDevServer, startRegistry } from '../test/support/index.ts';
import { BIG, RUNS, curlMs, mbps, runs, startBigServer, timedInGuest, until } from './network.ts';
import { median, type BenchRow } from './table.ts';

const LINE_TIMEOUT = 240_000;

/** What a line run in the page's shell printed (the playground's `runCaptured`). */
interface LineOutput {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * One line through the playground's shell, as test/browser/page-shell.ts runs it (that file
 * needs the DOM lib; page-side code is passed here as a string).
 */
async function shell(page: Page, line: string): Promise<LineOutput> {
  const run = page.evaluate(`document.querySelector('tabdock-playground').runCaptured(${JSON.stringify(line)})`) as Promise<LineOutput | false>;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no prompt after ${LINE_TIMEOUT} ms: ${line}`)), LINE_TIMEOUT)));
  try {
    const r = await Promise.race([run, late]);
    if (r === false) throw new Error(`the page's shell was busy: ${line}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}


export async function benchPageNetwork(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const big = await startBigServer();
  const env: Record<string, string> = {
    TABDOCK_PROXY_ALLOW: reg.host,
    TABDOCK_INSECURE_REGISTRIES: reg.host,
    TABDOCK_RELAY_ALLOW: '127.0.0.1/32',
    TABDOCK_RELAY_PORTS: String(big.port),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  let dev: { url: string; server: ViteDevServer } | undefined;
  let browser: Browser | undefined;
  try {
    await reg.push('busybox', 'busybox:latest', { all: true });
    const IMG = `${reg.host}/busybox`;
    dev = await startDevServer(env);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    await page.goto(dev.url);
    await page.waitForFunction(`document.querySelector('tabdock-playground')?.terminalText?.().includes('tabdock $')`, null, { timeout: 180_000 });

    const must = async (line: string) => {
      const r = await shell(page, line);
      if (r.status !== 0) throw new Error(`in the page, ${line} exited ${r.status}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    /** A download in the client container, timed inside it (timedInGuest); the median of RUNS. */
    const download = async (url: string) =>
      median(await runs(() => timedInGuest((script) => must(`docker exec client sh -c '${script}'`), `busybox wget -q -O /dev/null ${url}`)));
    /** The bytes `url` gives the client container, counted there. */
    const size = async (url: string) => Number((await must(`docker exec client sh -c 'busybox wget -q -O - ${url} | wc -c'`)).trim());

    await must(`docker pull ${IMG}`);
    await must('docker network create benchnet');
    // The index is written after the big file: once it is served, the big file is whole.
    const id = (await must(`docker run -d --name srv --network benchnet -p 8080:80 ${IMG} sh -c 'mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1048576 count=16 2>/dev/null && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'`)).trim();
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`docker run -d printed ${JSON.stringify(id)}`);
    await must(`docker run -d --name client --network benchnet --add-host host.docker.internal:host-gateway ${IMG} sleep 3600`);
    let last: LineOutput | undefined;
    await until(async () => (last = await shell(page, 'docker exec client busybox wget -q -O /dev/null http://srv/index.html')).status === 0, 120_000, 'the server container').catch(async (e: Error) => {
      const ps = await shell(page, 'docker ps -a');
      throw new Error(`${e.message} (its last wget: ${JSON.stringify(last)}; docker ps -a: ${ps.stdout})`);
    });

    // Ingress first, then egress, in the Node bench's order.
    // Ingress: the same file by wget in the guest, then through the preview URL in the page.
    const guestSize = await size('http://srv/big');
    if (guestSize !== BIG) throw new Error(`ingress baseline: the client container got ${guestSize} bytes of ${BIG}`);
    const guestMs = await download('http://srv/big');
    // The preview is fetched from a document the Service Worker controls: a frame at the
    // preview URL, as the playground's preview pane opens it.
    const preview = `${dev.url}${PREVIEW_PATH}${id.slice(0, 12)}/80/`;
    await page.evaluate(`(() => { const f = document.createElement('iframe'); f.src = ${JSON.stringify(preview)}; document.body.append(f); })()`);
    await until(async () => page.frames().some((f) => f.url() === preview), 60_000, 'the preview frame');
    const frame = page.frames().find((f) => f.url() === preview)!;
    await frame.waitForFunction(`document.body?.textContent?.includes('hello')`, null, { timeout: 60_000 });
    const ingressMs = median(await runs(async () => {
      const r = (await frame.evaluate(`(async () => {
        const t0 = performance.now();
        const res = await fetch('big', { cache: 'no-store' });
        const size = (await res.arrayBuffer()).byteLength;
        return { status: res.status, size, ms: performance.now() - t0 };
      })()`)) as { status: number; size: number; ms: number };
      if (r.status !== 200 || r.size !== BIG) throw new Error(`ingress: the page got ${r.status} with ${r.size} bytes of ${BIG}`);
      return r.ms;
    }));

    // Egress through the relay, beside curl here; the server counts the responses it sent whole.
    const hostUrl = `http://host.docker.internal:${big.port}/big`;
    const sent0 = big.served();
    const egressSize = await size(hostUrl);
    if (egressSize !== BIG) throw new Error(`egress: the container got ${egressSize} bytes of ${BIG}`);
    // The first timed download, then the median of the next RUNS (as the Node bench).
    const egressFirstMs = await timedInGuest((script) => must(`docker exec client sh -c '${script}'`), `busybox wget -q -O /dev/null ${hostUrl}`);
    const egressMs = await download(hostUrl);
    if (big.served() - sent0 !== RUNS + 2) throw new Error(`egress: the server sent ${big.served() - sent0} whole responses for ${RUNS + 2} downloads`);
    const curl = median(await runs(() => curlMs(`http://127.0.0.1:${big.port}/big`)));

    const egress = mbps(BIG, egressMs);
    const egressFirst = mbps(BIG, egressFirstMs);
    const ingress = mbps(BIG, ingressMs);
    return [
      { name: 'egress (page relay): a container in Chromium, its first timed 16 MiB download from a server on this machine through the dev server\'s Wisp relay', value: egressFirst, unit: 'MB/s', baseline: 'curl on this machine, same server', baselineValue: mbps(BIG, curl), target: '>= 10 MB/s', pass: egressFirst >= 10 },
      { name: `egress (page relay): the same download, median of the next ${RUNS}`, value: egress, unit: 'MB/s', baseline: 'curl on this machine, same server', baselineValue: mbps(BIG, curl), target: '>= 10 MB/s', pass: egress >= 10 },
      { name: `ingress (page preview): the page fetches 16 MiB from a container's httpd at its preview URL (median of ${RUNS})`, value: ingress, unit: 'MB/s', baseline: 'the same download by wget in a container on the same network', baselineValue: mbps(BIG, guestMs), target: '>= 10 MB/s', pass: ingress >= 10 },
    ];
  } finally {
    await browser?.close();
    await dev?.server.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    big.server.closeAllConnections();
    await new Promise<void>((r) => big.server.close(() => r()));
    await reg.stop();
  }
}
