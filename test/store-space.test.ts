// A full store and a cap on a container's writes (issue 20), through the real CLI, daemon,
// 9P server and guest. "Full" is the store cap (TABDOCK_STORE_MAX), so no disk is filled;
// as root, a real small filesystem (tmpfs) shows the real ENOSPC path too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCli, startRegistry, stopDaemon, type CliHome, type CliResult, type TestRegistry } from './support/index.ts';

const MiB = 1 << 20;
let reg: TestRegistry;
let IMG: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  await reg.push('big', 'big:latest');
  IMG = `${reg.host}/busybox`;
}, 300_000);
afterAll(async () => {
  await reg?.stop();
});

/** Bytes of every blob and chunk file under the home (what the cap counts). */
function storeBytes(home: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else n += statSync(join(d, e.name)).size;
    }
  };
  for (const d of ['store', 'chunks']) walk(join(home, d));
  return n;
}

/** Polls a condition (the CLI is the only view a user has) until it holds or the deadline passes. */
async function until(what: string, f: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function helpers(cli: CliHome) {
  const ok = async (...args: string[]): Promise<string> => {
    const r = await cli.run(...args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  return { ok, run: (...args: string[]): Promise<CliResult> => cli.run(...args) };
}

type Run = (...args: string[]) => Promise<CliResult>;

/** Starts a container that saves a file, says so, and keeps running. */
async function keeper(run: Run, name: string): Promise<void> {
  const r = await run('run', '-d', '--name', name, IMG, 'sh', '-c', 'echo saved > /saved; sync; echo started; exec sleep 600');
  expect(r.code, r.stderr).toBe(0);
  await until(`${name} to start`, async () => (await run('logs', name)).stdout.includes('started'));
}

/** A container writing random bytes until the store refuses them: ENOSPC in it. */
async function fill(run: Run, name: string): Promise<CliResult> {
  return run('run', '--name', name, IMG, 'sh', '-c', 'dd if=/dev/urandom of=/big bs=64k 2>&1; echo rc=$?');
}

describe('a store at its cap (TABDOCK_STORE_MAX)', () => {
  let cli: CliHome;
  beforeAll(async () => {
    cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120', TABDOCK_STORE_MAX: '16m' });
    const p = await cli.run('pull', IMG);
    expect(p.code, p.stderr).toBe(0);
  }, 300_000);
  afterAll(() => cli?.dispose());

  it("fails the filler's write in it, fails another container's new writes in it, keeps their saved data; logs work; rm frees the space", async () => {
    const { ok, run } = helpers(cli);
    await keeper(run, 'keeper');
    const f = await fill(run, 'filler');
    expect(f.stdout).toMatch(/No space left on device\n(.*\n)*rc=1\n$/);
    const full = storeBytes(cli.home);
    expect(full).toBeGreaterThan(12 * MiB);
    expect(full).toBeLessThanOrEqual(16 * MiB);
    // The running neighbour: a new write fails in it, what it saved before is still there.
    const more = await run('exec', 'keeper', 'sh', '-c', 'dd if=/dev/urandom of=/more bs=64k count=16');
    expect(more.code).not.toBe(0);
    expect(more.stderr).toMatch(/No space left on device/);
    expect(await ok('exec', 'keeper', 'cat', '/saved')).toBe('saved\n');
    expect(await ok('logs', 'keeper')).toBe('started\n');
    await ok('rm', '-f', 'filler');
    const after = storeBytes(cli.home);
    expect(full - after).toBeGreaterThan(8 * MiB);
    // Room again: the neighbour's writes work and are saved.
    await ok('exec', 'keeper', 'sh', '-c', 'dd if=/dev/urandom of=/more bs=64k count=16 && sync');
  }, 300_000);

  it('the daemon starts again on a full store; logs, rm and prune work there', async () => {
    const { ok, run } = helpers(cli);
    const f = await fill(run, 'filler2');
    expect(f.stdout).toMatch(/No space left on device/);
    const full = storeBytes(cli.home);
    stopDaemon(cli.home);
    // The next command starts a new daemon over the full store.
    expect(await ok('ps', '-a')).toMatch(/Exited \(0\) .* filler2\n/);
    expect(await ok('logs', 'keeper')).toBe('started\n');
    expect(await ok('run', '--rm', IMG, 'echo', 'runs')).toBe('runs\n');
    await ok('container', 'prune', '-f');
    expect(full - storeBytes(cli.home)).toBeGreaterThan(8 * MiB);
    expect(await ok('ps', '-a', '-q')).toBe('');
  }, 300_000);

  it('--storage-opt size caps one container (ENOSPC past it), shows in inspect, and refuses other keys', async () => {
    const { ok, run } = helpers(cli);
    const r = await run('run', '--rm', '--storage-opt', 'size=2m', IMG, 'sh', '-c',
      'dd if=/dev/urandom of=/a bs=64k count=16 2>/dev/null && echo one; dd if=/dev/urandom of=/b bs=64k count=32; echo rc=$?; rm /b; dd if=/dev/urandom of=/c bs=64k count=8 2>/dev/null && echo two');
    expect(r.stdout).toBe('one\nrc=1\ntwo\n');
    expect(r.stderr).toMatch(/dd: error writing '\/b': No space left on device/);
    const id = (await ok('create', '--storage-opt', 'size=3m', IMG, 'true')).trim();
    expect((await ok('inspect', '-f', '{{json .HostConfig.StorageOpt}}', id)).trim()).toBe('{"size":"3m"}');
    await ok('rm', id);
    const bad = await run('run', '--rm', '--storage-opt', 'dm.basesize=1g', IMG, 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/storage option "dm\.basesize" is not supported: tabdock takes only --storage-opt size=<size>/);
    expect((await run('run', '--rm', '--storage-opt', 'size=lots', IMG, 'true')).code).toBe(125);
  }, 300_000);
});

it('a pull past daemon.json "store-max" fails with a clear error; a bad size is refused', async () => {
  const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
  try {
    writeFileSync(join(cli.home, 'daemon.json'), JSON.stringify({ 'store-max': '40m' }));
    const r = await cli.run('pull', `${reg.host}/big`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the store is full \([\d.]+ MiB used of its 40\.0 MiB limit\)/);
    expect(storeBytes(cli.home)).toBeLessThanOrEqual(40 * MiB);
    // What fits still pulls.
    expect((await cli.run('pull', IMG)).code).toBe(0);
    const bad = await runCli(['images', '-q'], { ...cli.env, TABDOCK_STORE_MAX: 'lots' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/TABDOCK_STORE_MAX must be a size such as "2g" or "512m"/);
  } finally {
    cli.dispose();
  }
}, 300_000);

/** A small real filesystem (tmpfs), when this process may mount one: root, and a sandbox that allows it. */
function mountTmpfs(size: string): { dir: string; dispose(): void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=700`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return { dir, dispose: () => { execFileSync('umount', ['-l', dir]); rmSync(dir, { recursive: true, force: true }); } };
}
const canMount = (() => {
  const m = mountTmpfs('1m');
  m?.dispose();
  return m !== undefined;
})();

describe.skipIf(!canMount)('a real full filesystem (tmpfs, 64 MiB; needs root)', () => {
  it('stops blob writes short of the disk: ENOSPC in the container, the neighbour keeps its data, rm frees, the daemon restarts', async () => {
    const fsys = mountTmpfs('64m')!;
    const home = join(fsys.dir, 'home');
    const env = { TABDOCK_HOME: home, TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120' };
    const run: Run = (...a) => runCli(a, env);
    try {
      expect((await run('pull', IMG)).code).toBe(0);
      await keeper(run, 'keeper');
      const f = await fill(run, 'filler');
      expect(f.stdout).toMatch(/No space left on device/);
      const free = () => Number(execFileSync('df', ['-k', '--output=avail', home]).toString().split('\n')[1]) * 1024;
      const before = free();
      // Stopped at the reserve: records, logs and a daemon start still fit.
      expect(before).toBeGreaterThan(16 * MiB);
      const more = await run('exec', 'keeper', 'sh', '-c', 'dd if=/dev/urandom of=/more bs=64k count=16');
      expect(more.stderr).toMatch(/No space left on device/);
      expect((await run('exec', 'keeper', 'cat', '/saved')).stdout).toBe('saved\n');
      stopDaemon(home);
      expect((await run('logs', 'keeper')).stdout).toBe('started\n');
      expect((await run('rm', '-f', 'filler')).code).toBe(0);
      expect(free() - before).toBeGreaterThan(12 * MiB);
    } finally {
      stopDaemon(home);
      fsys.dispose();
    }
  }, 300_000);
});
