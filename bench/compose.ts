// Issue 18: `compose up -d --wait` of a three-service app from a cached image, to all
// healthy (each service has a health check; web and api wait for kv to be healthy, as an
// app waits for its database), beside a single `run -d` of the same image in the same run
// (target: up <= 3 x run -d + 1 s); then an `up -d` with nothing changed and `down`.
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
    // A probe soon after the start (start_interval within start_period), as a quick check does.
    const health = ['    healthcheck:', '      test: ["CMD", "true"]', '      interval: 30s', '      start_period: 30s', '      start_interval: 200ms'];
    const service = (s: string, deps: string[]) => [`  ${s}:`, `    image: ${img}`, '    init: true', '    command: ["sleep", "3600"]', ...health,
      ...(deps.length ? ['    depends_on:', ...deps.flatMap((d) => [`      ${d}:`, '        condition: service_healthy'])] : [])];
    writeFileSync(file, ['services:', ...service('kv', []), ...service('api', ['kv']), ...service('web', ['kv']), ''].join('\n'));
    // The same three with no dependency between them: nothing waits for another's health.
    const flat = join(dir, 'flat.yaml');
    writeFileSync(flat, ['name: flat', 'services:', ...service('kv', []), ...service('api', []), ...service('web', []), ''].join('\n'));
    const cli = await daemonHome(reg);
    try {
      await ok(cli, 'pull', img);
      for (let i = 0; i < 2; i++) await ok(cli, 'run', '--rm', img, 'true');
      const single: number[] = [];
      const up: number[] = [];
      const again: number[] = [];
      const down: number[] = [];
      const upFlat: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        single.push(await timed(() => ok(cli, 'run', '-d', '--name', `one-${i}`, img, 'sleep', '3600')));
        await ok(cli, 'rm', '-f', `one-${i}`);
        up.push(await timed(() => ok(cli, 'compose', '-f', file, 'up', '-d', '--wait')));
        again.push(await timed(() => ok(cli, 'compose', '-f', file, 'up', '-d')));
        down.push(await timed(() => ok(cli, 'compose', '-f', file, 'down', '-t', '0')));
        upFlat.push(await timed(() => ok(cli, 'compose', '-f', flat, 'up', '-d', '--wait')));
        await ok(cli, 'compose', '-f', flat, 'down', '-t', '0');
      }
      const run1 = median(single);
      const u = median(up);
      return [
        { name: `compose up -d --wait, 3 services from a cached image, to all healthy (median of ${RUNS})`, value: u, unit: 'ms', baseline: 'run -d of the same image', baselineValue: run1, target: '<= 3x baseline + 1 s', pass: u <= 3 * run1 + 1000 },
        { name: `compose up -d --wait, the same 3 services with no depends_on, to all healthy (median of ${RUNS})`, value: median(upFlat), unit: 'ms', baseline: 'run -d of the same image', baselineValue: run1, target: '<= 3x baseline + 1 s', pass: median(upFlat) <= 3 * run1 + 1000 },
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
