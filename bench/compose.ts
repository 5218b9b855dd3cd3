// Issue 18: `compose up -d` of a three-service app from a cached image, beside a single
// `run -d` of the same image in the same run (target: up <= 3 x run -d + 1 s), then an
// `up -d` with nothing changed and `down`. No service has a health check: the engine runs
// none yet (compose refuses them), so "up" ends when the three containers run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../test/support/index.ts';
import { daemonHome, ok, timed } from './pull-unpacked.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;

export async function benchCompose(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const dir = join(tmpdir(), `tabdock-bench-compose-${process.pid}`, 'app');
  try {
    await reg.push('busybox', 'busybox:1');
    const img = `${reg.host}/busybox:1`;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, ['services:', ...['web', 'api', 'kv'].flatMap((s) => [`  ${s}:`, `    image: ${img}`, '    command: ["sleep", "3600"]']), ''].join('\n'));
    const cli = await daemonHome(reg);
    try {
      await ok(cli, 'pull', img);
      for (let i = 0; i < 2; i++) await ok(cli, 'run', '--rm', img, 'true');
      const single: number[] = [];
      const up: number[] = [];
      const again: number[] = [];
      const down: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        single.push(await timed(() => ok(cli, 'run', '-d', '--name', `one-${i}`, img, 'sleep', '3600')));
        await ok(cli, 'rm', '-f', `one-${i}`);
        up.push(await timed(() => ok(cli, 'compose', '-f', file, 'up', '-d')));
        again.push(await timed(() => ok(cli, 'compose', '-f', file, 'up', '-d')));
        down.push(await timed(() => ok(cli, 'compose', '-f', file, 'down', '-t', '0')));
      }
      const run1 = median(single);
      const u = median(up);
      return [
        { name: `compose up -d, 3 services from a cached image (median of ${RUNS})`, value: u, unit: 'ms', baseline: 'run -d of the same image', baselineValue: run1, target: '<= 3x baseline + 1 s', pass: u <= 3 * run1 + 1000 },
        { name: `compose up -d again, nothing changed (median of ${RUNS})`, value: median(again), unit: 'ms', baseline: 'run -d of the same image', baselineValue: run1 },
        { name: `compose down -t 0 (median of ${RUNS})`, value: median(down), unit: 'ms', baseline: 'run -d of the same image', baselineValue: run1 },
      ];
    } finally {
      cli.dispose();
    }
  } finally {
    await reg.stop();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}
