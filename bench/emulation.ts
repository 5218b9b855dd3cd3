// Issue 16: images of other machines through QEMU user-mode emulation in the guest, beside
// the same work in the linux/386 busybox image in the same run (both through the CLI, the
// daemon up, the guest warm):
// - the first run of an amd64 image in a fresh store: it fetches, verifies and stores the
//   emulator and registers it (reported, no target);
// - warm `run --rm IMG echo hi`: amd64 against 386 (target: amd64 <= 3 s);
// - a 10,000-iteration shell loop in a running container (`exec`): amd64 against 386
//   (target: <= 15x the 386 figure); arm64 reported beside it.
import { startRegistry } from '../test/support/index.ts';
import { daemonHome, ok, timed } from './pull-unpacked.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;
const LOOP = 'i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done';

export async function benchEmulation(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  try {
    await Promise.all([reg.push('busybox', 'bb386:1'), reg.push('busybox-amd64', 'bbamd64:1'), reg.push('busybox-arm64', 'bbarm64:1')]);
    const [i386, amd64, arm64] = ['bb386', 'bbamd64', 'bbarm64'].map((n) => `${reg.host}/${n}:1`) as [string, string, string];
    const cli = await daemonHome(reg);
    try {
      for (const img of [i386, amd64, arm64]) await ok(cli, 'pull', img);
      // The guest restored and warm before anything is timed.
      for (let i = 0; i < 2; i++) await ok(cli, 'run', '--rm', i386, 'true');
      const firstEmulated = await timed(() => ok(cli, 'run', '--rm', amd64, 'echo', 'hi'));
      const echo386: number[] = [];
      const echoAmd64: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        echo386.push(await timed(() => ok(cli, 'run', '--rm', i386, 'echo', 'hi')));
        echoAmd64.push(await timed(() => ok(cli, 'run', '--rm', amd64, 'echo', 'hi')));
      }
      const loops: Record<string, number> = {};
      for (const [name, img] of [['386', i386], ['amd64', amd64], ['arm64', arm64]] as const) {
        await ok(cli, 'run', '-d', '--name', `loop-${name}`, img, 'sleep', '3600');
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push(await timed(() => ok(cli, 'exec', `loop-${name}`, 'sh', '-c', LOOP)));
        loops[name] = median(times);
        await ok(cli, 'rm', '-f', `loop-${name}`);
      }
      const e386 = median(echo386);
      const eAmd = median(echoAmd64);
      return [
        { name: 'first run --rm of an amd64 image (emulator fetched, verified, stored, registered)', value: firstEmulated, unit: 'ms', baseline: 'warm run --rm amd64 echo', baselineValue: eAmd },
        { name: `warm run --rm amd64 busybox echo (median of ${RUNS})`, value: eAmd, unit: 'ms', baseline: 'the same in the 386 image', baselineValue: e386, target: '<= 3000 ms', pass: eAmd <= 3000 },
        { name: `exec: 10,000-iteration shell loop, amd64 (median of ${RUNS})`, value: loops['amd64']!, unit: 'ms', baseline: 'the same loop in the 386 image', baselineValue: loops['386']!, target: '<= 15x baseline', pass: loops['amd64']! <= 15 * loops['386']! },
        { name: `exec: 10,000-iteration shell loop, arm64 (median of ${RUNS})`, value: loops['arm64']!, unit: 'ms', baseline: 'the same loop in the 386 image', baselineValue: loops['386']! },
      ];
    } finally {
      cli.dispose();
    }
  } finally {
    await reg.stop();
  }
}
