// `tabdock run --rm IMG true` as a user runs it (the CLI, its daemon, the guest): warm
// (image stored, guest up), from the snapshot (daemon and guest restored), and cold
// (nothing cached: pull + restore + run); beside `crun run` of `true` inside the guest
// (the floor), measured through the same daemon. Plus memory and store size over 100
// sequential runs: nothing may grow without bound.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliHome, startRegistry } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? du(p) : statSync(p).size;
  }
  return n;
}

/** Resident memory of the daemon (the engine and the emulator live in it). */
function daemonRss(home: string): number {
  try {
    const pid = Number(readFileSync(join(home, 'tabdock.pid'), 'utf8'));
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function benchEngine(opts: { sequential?: number } = {}): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  try {
    await reg.push('busybox', 'busybox:latest');
    const IMG = `${reg.host}/busybox`;
    cli.env['TABDOCK_INSECURE_REGISTRIES'] = reg.host;
    const timed = async (...args: string[]) => {
      const t = performance.now();
      const r = await cli.run(...args);
      if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed: ${r.stderr}`);
      return performance.now() - t;
    };
    const cold = await timed('run', '--rm', IMG, 'true'); // pull + daemon + guest restore + run
    // v86 compiles the guest's hot code as it runs: the first runs after a restore are
    // slower (that is the "from the snapshot" figure). Warm means the guest has run a few.
    const WARMUP = 2;
    for (let i = 0; i < WARMUP; i++) await timed('run', '--rm', IMG, 'true');
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push(await timed('run', '--rm', IMG, 'true'));
    const noop: number[] = [];
    for (let i = 0; i < 5; i++) noop.push(await timed('version'));
    await cli.run('daemon', 'stop');
    const snapshot = await timed('run', '--rm', IMG, 'true'); // image stored; daemon and guest restored
    // The floor: crun inside the guest, without the engine around it, through exec of a running container.
    await cli.run('run', '-d', '--name', 'floor', IMG, 'sleep', '600');
    for (let i = 0; i < WARMUP; i++) await timed('exec', 'floor', 'true');
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) floor.push(await timed('exec', 'floor', 'true'));
    await cli.run('rm', '-f', 'floor');

    const n = opts.sequential ?? 100;
    const rss0 = daemonRss(cli.home);
    const store0 = du(cli.home);
    for (let i = 0; i < n; i++) await timed('run', '--rm', IMG, 'true');
    const rss1 = daemonRss(cli.home);
    const store1 = du(cli.home);
    const w = median(warm);
    const f = median(floor);
    const cliFloor = median(noop);
    return [
      { name: 'run --rm true, warm (CLI to exit)', value: w, unit: 'ms', baseline: 'exec true in a running container', baselineValue: f, target: '<= 1500 ms and <= 3x floor', pass: w <= 1500 && w <= 3 * f },
      { name: 'run --rm true, from the snapshot (daemon + guest restore)', value: snapshot, unit: 'ms', baseline: 'warm run', baselineValue: w },
      { name: 'run --rm true, cold (pull + restore + run)', value: cold, unit: 'ms', baseline: 'warm run', baselineValue: w },
      { name: 'CLI round trip (tabdock version)', value: cliFloor, unit: 'ms', baseline: 'warm run', baselineValue: w },
      { name: `daemon RSS after ${n} more runs`, value: rss1 / 2 ** 20, unit: 'MiB', baseline: 'before them', baselineValue: rss0 / 2 ** 20, target: '<= 1.25x before', pass: rss1 <= 1.25 * rss0 },
      { name: `store size after ${n} runs with --rm`, value: store1 / 2 ** 20, unit: 'MiB', baseline: 'before them', baselineValue: store0 / 2 ** 20, target: '<= 1.05x before', pass: store1 <= 1.05 * store0 },
    ];
  } finally {
    cli.dispose();
    await reg.stop();
  }
}
