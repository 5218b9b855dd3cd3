// Container networking as a user meets it, each figure beside a floor measured in the same
// run: requests to a container's server through `-p` beside the same requests made by
// busybox wget inside the guest; a 16 MiB download through `-p`; a 16 MiB download from a
// server on this machine made by a container through the link (host-gateway) beside curl
// on this machine; and the daemon's CPU over 30 s with a network and its containers idle,
// beside 30 s with one container on `--network none`, each once the daemon has settled. Loopback only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliHome, startRegistry, type CliHome } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

export const BIG = 16 << 20;

function daemonCpuMs(home: string): number {
  const pid = Number(readFileSync(join(home, 'tabdock.pid'), 'utf8'));
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name).
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/**
 * Waits until the daemon is quiet (under 100 ms of CPU in a 2 s window, 90 s at most): a
 * guest just restored, or a container just started, keeps the emulator busy for a while
 * (crun's tail, v86 compiling what ran), which would count as idle cost otherwise. False
 * when it never was: the idle row then says so and fails.
 */
async function settled(home: string): Promise<boolean> {
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    const c0 = daemonCpuMs(home);
    await new Promise((r) => setTimeout(r, 2000));
    if (daemonCpuMs(home) - c0 < 100) return true;
  }
  return false;
}

/**
 * Runs `cmd` in a container through `exec` (given the whole shell line to run there) and
 * returns the ms it took timed inside it: /proc/uptime either side (10 ms steps; busybox's
 * date has no %N), so the exec around it is not part of the figure. The guest's interval
 * must fit in the exec's time measured here.
 */
export async function timedInGuest(exec: (script: string) => Promise<string>, cmd: string): Promise<number> {
  const t = performance.now();
  const out = await exec(`read s x < /proc/uptime; ${cmd} || exit 1; read e x < /proc/uptime; echo "$s $e"`);
  const outside = performance.now() - t;
  const [s, e] = out.trim().split(' ').map(Number);
  const ms = (e! - s!) * 1000;
  if (!(ms > 0 && ms <= outside)) throw new Error(`the guest timed ${cmd} at ${ms} ms (${JSON.stringify(out)}), the exec around it took ${outside.toFixed(0)} ms`);
  return ms;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

export async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const RUNS = 3;

/** `fn` RUNS times, one after another. */
export async function runs(fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await fn());
  return out;
}

export const mbps = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;

/** A server on 127.0.0.1 that answers every request with BIG bytes; `served` counts the responses sent whole. */
export async function startBigServer(): Promise<{ server: Server; port: number; served: () => number }> {
  const payload = Buffer.alloc(BIG, 7);
  let served = 0;
  const server = createServer((_req, res) => {
    res.on('finish', () => void served++);
    res.writeHead(200, { 'content-length': String(BIG) }).end(payload);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, served: () => served };
}

/** ms for curl on this machine to download `url` (the egress baseline). */
export async function curlMs(url: string): Promise<number> {
  const t = performance.now();
  await new Promise<void>((res, rej) => execFile('curl', ['-sf', '-o', '/dev/null', url], (e) => (e ? rej(e) : res())));
  return performance.now() - t;
}

export async function benchNetwork(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const cli: CliHome = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  let host: Server | undefined;
  try {
    await reg.push('busybox', 'busybox:latest');
    cli.env['TABDOCK_INSECURE_REGISTRIES'] = reg.host;
    const IMG = `${reg.host}/busybox`;
    const must = async (...args: string[]) => {
      const r = await cli.run(...args);
      if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };

    // Idle floor first: a daemon with one container on --network none.
    await must('run', '-d', '--name', 'quiet', '--network', 'none', IMG, 'sleep', '3600');
    const quietSettled = await settled(cli.home);
    const q0 = daemonCpuMs(cli.home);
    await new Promise((r) => setTimeout(r, 30_000));
    const quietCpu = daemonCpuMs(cli.home) - q0;
    await must('rm', '-f', 'quiet');

    const port = await freePort();
    await must('network', 'create', 'benchnet');
    await must('run', '-d', '--name', 'srv', '--network', 'benchnet', '-p', `127.0.0.1:${port}:80`, IMG, 'sh', '-c',
      `mkdir -p /www && echo hello > /www/index.html && dd if=/dev/urandom of=/www/big bs=1048576 count=16 2>/dev/null && exec busybox httpd -f -p 80 -h /www`);
    await must('run', '-d', '--name', 'client', '--network', 'benchnet', '--add-host', 'host.docker.internal:host-gateway', IMG, 'sleep', '3600');
    await until(async () => (await fetch(`http://127.0.0.1:${port}/big`, { method: 'HEAD' }).catch(() => undefined))?.headers.get('content-length') === String(BIG), 120_000, 'the server container');

    // Idle cost with the network up and both containers idle.
    const netSettled = await settled(cli.home);
    const n0 = daemonCpuMs(cli.home);
    await new Promise((r) => setTimeout(r, 30_000));
    const netCpu = daemonCpuMs(cli.home) - n0;

    // Ingress latency: 50 requests through -p, beside 50 wgets in the guest (timed inside it).
    for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
    const lat: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/`)).text();
      lat.push(performance.now() - t);
    }
    const inGuest = (cmd: string) => timedInGuest((script) => must('exec', 'client', 'sh', '-c', script), cmd);
    const loop = await inGuest('i=0; while [ $i -lt 50 ]; do busybox wget -q -O /dev/null http://srv/ || exit 1; i=$((i+1)); done');
    const guestPerReq = loop / 50;

    // Ingress throughput: 16 MiB through -p, the first download and the median of the next
    // RUNS (the first pays v86 compiling the guest's network paths), beside the same download in the guest.
    const ingressOnce = async () => {
      const t = performance.now();
      const got = (await (await fetch(`http://127.0.0.1:${port}/big`)).arrayBuffer()).byteLength;
      if (got !== BIG) throw new Error(`ingress download got ${got} bytes`);
      return performance.now() - t;
    };
    const ingressFirstMs = await ingressOnce();
    const ingressMs = median(await runs(ingressOnce));
    const guestBig = median(await runs(() => inGuest('busybox wget -q -O /dev/null http://srv/big')));

    // Egress: a container downloads 16 MiB from a server on this machine, beside curl here.
    const big = await startBigServer();
    host = big.server;
    const hp = big.port;
    const curl = await curlMs(`http://127.0.0.1:${hp}/big`);
    const egressOnce = () => inGuest(`busybox wget -q -O /dev/null http://host.docker.internal:${hp}/big`);
    const sent0 = big.served();
    const egressFirstMs = await egressOnce();
    const egressMs = median(await runs(egressOnce));
    if (big.served() - sent0 !== RUNS + 1) throw new Error(`egress: the server sent ${big.served() - sent0} whole responses for ${RUNS + 1} downloads`);

    await must('rm', '-f', 'srv', 'client');
    await must('network', 'rm', 'benchnet');
    const med = median(lat);
    return [
      { name: 'ingress: median latency of 50 HTTP requests through -p (Node fetch -> daemon -> guest -> httpd)', value: Math.round(med * 10) / 10, unit: 'ms', baseline: 'the same request by busybox wget in a container on the same network (mean of 50)', baselineValue: Math.round(guestPerReq * 10) / 10, target: '<= 2x baseline', pass: med <= 2 * guestPerReq },
      { name: 'ingress: the first 16 MiB download through -p (after a container\'s start)', value: mbps(BIG, ingressFirstMs), unit: 'MB/s', baseline: 'the same download by wget in a container on the same network (median of 3)', baselineValue: mbps(BIG, guestBig), target: '>= 10 MB/s', pass: mbps(BIG, ingressFirstMs) >= 10 },
      { name: `ingress: 16 MiB download through -p (median of the next ${RUNS})`, value: mbps(BIG, ingressMs), unit: 'MB/s', baseline: 'the same download by wget in a container on the same network (median of 3)', baselineValue: mbps(BIG, guestBig), target: '>= 10 MB/s', pass: mbps(BIG, ingressMs) >= 10 },
      { name: 'egress (Node link): a container\'s first 16 MiB download from a server on this machine', value: mbps(BIG, egressFirstMs), unit: 'MB/s', baseline: 'curl on this machine, same server', baselineValue: mbps(BIG, curl), target: '>= 10 MB/s', pass: mbps(BIG, egressFirstMs) >= 10 },
      { name: `egress (Node link): a container downloads 16 MiB from a server on this machine (median of the next ${RUNS})`, value: mbps(BIG, egressMs), unit: 'MB/s', baseline: 'curl on this machine, same server', baselineValue: mbps(BIG, curl), target: '>= 10 MB/s', pass: mbps(BIG, egressMs) >= 10 },
      { name: `idle: daemon CPU over 30 s, a user network with two idle containers (one publishing a port)${quietSettled && netSettled ? '' : ' (the daemon never went quiet first: not an idle figure)'}`, value: Math.round(netCpu), unit: 'ms', baseline: 'one idle container on --network none', baselineValue: Math.round(quietCpu), target: '<= baseline + 300 ms', pass: quietSettled && netSettled && netCpu <= quietCpu + 300 },
    ];
  } finally {
    host?.close();
    cli.dispose();
    await reg.stop();
  }
}
