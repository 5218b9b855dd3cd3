// Hardening: one process opens the stores of a $TABDOCK_HOME. A command run with
// TABDOCK_DAEMON=off used to open them beside a running daemon and sweep its unfinished
// downloads as garbage; now whichever comes second is told who has the store.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliHome, fixtureInfo, runCli, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let proxy: FaultProxy;
let layerPath: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  proxy = await startFaultProxy(reg.url);
  layerPath = `/v2/busybox/blobs/${(await fixtureInfo('busybox')).manifests[0]!.layerDigests[0]!}`;
}, 180_000);
afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
});

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

describe('the store has one owner', () => {
  it('TABDOCK_DAEMON=off beside a running daemon is refused, naming it; the daemon goes on', async () => {
    const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
    try {
      expect((await cli.run('pull', `${reg.host}/busybox`)).code).toBe(0);
      const pid = (await cli.run('daemon', 'status')).stdout;
      const off = await runCli(['images'], { ...cli.env, TABDOCK_DAEMON: 'off' });
      expect(off.code).toBe(1);
      expect(off.stderr).toMatch(/is in use by the tabdock daemon \(pid \d+\): only one process may open its image store at a time; stop it first \(tabdock daemon stop\)/);
      expect(pid).toMatch(/\d+/);
      const images = await cli.run('images');
      expect(images.code).toBe(0);
      expect(images.stdout).toContain(`${reg.host}/busybox`);
    } finally {
      cli.dispose();
    }
  }, 180_000);

  it('a lock left by a process that died is taken over', async () => {
    const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON: 'off' });
    try {
      expect((await cli.run('images')).code).toBe(0);
      writeFileSync(join(cli.home, 'store.lock'), `${await deadPid()}\ncommand\n`);
      const r = await cli.run('images');
      expect(r.code, r.stderr).toBe(0);
      // Released when the command ended.
      expect(existsSync(join(cli.home, 'store.lock'))).toBe(false);
    } finally {
      cli.dispose();
    }
  }, 180_000);

  it('a command holding the store keeps the daemon from starting, with the reason; once it is gone the daemon starts', async () => {
    proxy.reset();
    // A slow but steady layer: the in-process pull holds the store for the test's length.
    proxy.setRules([{ kind: 'trickle', bytesPerTick: 16 << 10, tickMs: 250, match: '/blobs/' }]);
    const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: proxy.host });
    try {
      const child = spawn(process.execPath, [BIN, 'pull', `${proxy.host}/busybox`], { env: { ...process.env, ...cli.env, TABDOCK_DAEMON: 'off' }, stdio: 'ignore' });
      await expect.poll(() => proxy.requests.some((r) => r.path === layerPath), { timeout: 60_000 }).toBe(true);
      const r = await cli.run('images');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`is in use by a tabdock command run with TABDOCK_DAEMON=off \\(pid ${child.pid}\\).*wait for it to finish`));
      expect(existsSync(join(cli.home, 'tabdock.sock'))).toBe(false);
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      const after = await cli.run('images', '-q');
      expect(after.code, after.stderr).toBe(0);
    } finally {
      cli.dispose();
    }
  }, 180_000);
});
