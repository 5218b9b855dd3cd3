// Pulls that end ready to run, as a user times them: the real CLI against its running daemon.
// - The 32 MiB `big` fixture: `tabdock pull` (download, verify, unpack into the layer store
//   in one pass) beside `skopeo copy` + `umoci unpack` of the same image from the same
//   loopback registry (the nearest open tool chain that also ends with an unpacked tree).
// - A Debian bookworm i386 image (debootstrap minbase + python3-minimal, built here once):
//   pull, the first `run --rm IMG true` after it, and a warm run (the baseline: a first run
//   that still had layers to unpack would show here), in rounds. The guest is warmed up first with
//   another image, so the first run pays no guest restore.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHome, startRegistry, type CliHome, type TestRegistry } from '../test/support/index.ts';
import { run } from '../test/support/proc.ts';
import { debianLayout } from './debian-image.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;

/**
 * bin/tabdock.mjs falls back to the TypeScript sources through tsx when the bundle is older
 * than any source file (a second of start-up per command): build it, so the bundle a user
 * runs is what is timed.
 */
let built: Promise<unknown> | undefined;
const buildCli = () => (built ??= run(process.execPath, [fileURLToPath(new URL('../scripts/build-cli.mjs', import.meta.url))]));

export async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

export async function ok(cli: CliHome, ...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A fresh $TABDOCK_HOME whose daemon is already up (started untimed). */
export async function daemonHome(reg: TestRegistry): Promise<CliHome> {
  await buildCli();
  const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  await ok(cli, 'images');
  return cli;
}

/** `skopeo copy` into an OCI layout, then `umoci unpack` of it: the open tool chain's pull to a tree. */
export async function skopeoUmoci(ref: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-bench-umoci-'));
  try {
    return await timed(async () => {
      await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, 'layout')}:img`]);
      await run('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'layout')}:img`, join(dir, 'bundle')]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPullUnpacked(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  try {
    await reg.push('big', 'big:1');
    const ref = `${reg.host}/big:1`;
    const ours: number[] = [];
    const theirs: number[] = [];
    const floor: number[] = [];
    // One daemon, as a user has it; rmi between rounds empties the stores (blobs, layer
    // records, chunks), so every pull downloads and unpacks everything.
    const cli = await daemonHome(reg);
    try {
      for (let i = 0; i < RUNS; i++) {
        floor.push(await timed(() => ok(cli, 'images')));
        ours.push(await timed(() => ok(cli, 'pull', ref)));
        await ok(cli, 'rmi', ref);
        theirs.push(await skopeoUmoci(ref));
      }
    } finally {
      cli.dispose();
    }
    const pull = median(ours);
    const base = median(theirs);
    return [{
      name: 'tabdock pull 32 MiB image, unpacked and ready to run (daemon up)', value: pull, unit: 'ms',
      baseline: 'skopeo copy + umoci unpack, same registry', baselineValue: base, target: '<= 1.0x baseline', pass: pull <= base,
    }, {
      // Every CLI command pays this (node start, the bundle, the daemon round trip): context for the row above.
      name: 'tabdock images (the CLI floor, daemon up)', value: median(floor), unit: 'ms',
    }];
  } finally {
    await reg.stop();
  }
}

export async function benchDebianRun(): Promise<BenchRow[]> {
  const layout = await debianLayout((s) => process.stderr.write(s));
  const reg = await startRegistry();
  try {
    await reg.push('busybox', 'busybox:1');
    await reg.push(layout, 'debian:bookworm');
    const img = `${reg.host}/debian:bookworm`;
    const cli = await daemonHome(reg);
    try {
      // The guest restored and warm before anything is timed.
      await ok(cli, 'pull', `${reg.host}/busybox:1`);
      for (let i = 0; i < 2; i++) await ok(cli, 'run', '--rm', `${reg.host}/busybox:1`, 'true');
      // Each round: pull into an empty store, the first run, a warm run; then rmi (the
      // layers go with the image). Medians of the rounds, so load on the machine hits both.
      const pulls: number[] = [];
      const firsts: number[] = [];
      const warm: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        theirs.push(await skopeoUmoci(img));
        pulls.push(await timed(() => ok(cli, 'pull', img)));
        firsts.push(await timed(() => ok(cli, 'run', '--rm', img, 'true')));
        warm.push(await timed(() => ok(cli, 'run', '--rm', img, 'true')));
        if (i < RUNS - 1) await ok(cli, 'rmi', img);
      }
      const pull = median(pulls);
      const first = median(firsts);
      const w = median(warm);
      const size = JSON.parse(await ok(cli, 'image', 'inspect', img))[0].Size as number;
      return [
        { name: `pull Debian bookworm i386 (${(size / 1e6).toFixed(0)} MB unpacked; guest up)`, value: pull, unit: 'ms', baseline: 'skopeo copy + umoci unpack, same registry', baselineValue: median(theirs) },
        { name: 'first run --rm IMG true after the pull', value: first, unit: 'ms', baseline: 'warm run --rm IMG true', baselineValue: w, target: '<= warm + 1000 ms', pass: first <= w + 1000 },
        { name: 'warm run --rm IMG true', value: w, unit: 'ms' },
      ];
    } finally {
      cli.dispose();
    }
  } finally {
    await reg.stop();
  }
}
