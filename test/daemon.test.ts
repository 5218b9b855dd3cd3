// The CLI's background daemon: started on first need, shared by later invocations,
// stopped on request, gone by itself after an idle period; a second one refused, one that
// cannot start reported; and how its guest will start (snapshot or cold boot) said.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliHome, runCli } from './support/index.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('starts on first need, serves later invocations, stops on request', async () => {
  const cli = cliHome();
  try {
    expect((await cli.run('daemon', 'status')).code).toBe(1);
    // An empty table is its header, laid out as docker's tabwriter does (columns at least 10 wide).
    expect((await cli.run('images')).stdout).toBe('REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
    const pid = readFileSync(join(cli.home, 'tabdock.pid'), 'utf8').trim();
    expect((await cli.run('images', '-q')).code).toBe(0);
    expect(readFileSync(join(cli.home, 'tabdock.pid'), 'utf8').trim()).toBe(pid);
    expect((await cli.run('daemon', 'status')).stdout).toContain(`running: pid ${pid}`);
    expect((await cli.run('daemon', 'stop')).stdout).toBe('tabdock daemon stopped\n');
    expect((await cli.run('daemon', 'status')).stdout).toBe('not running\n');
  } finally {
    cli.dispose();
  }
});

it('exits by itself when idle', async () => {
  const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '1' });
  try {
    await cli.run('images');
    const pid = Number(readFileSync(join(cli.home, 'tabdock.pid'), 'utf8'));
    // Watched from outside: a `daemon status` would connect and so keep it from idling.
    await expect.poll(() => alive(pid), { timeout: 60_000, interval: 200 }).toBe(false);
    expect((await cli.run('daemon', 'status')).stdout).toBe('not running\n');
  } finally {
    cli.dispose();
  }
});

it('refuses a second daemon for the same home, and leaves the first serving', async () => {
  const cli = cliHome();
  try {
    await cli.run('images');
    const pid = readFileSync(join(cli.home, 'tabdock.pid'), 'utf8').trim();
    expect(await cli.run('daemon', 'run')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: a tabdock daemon is already running for ${cli.home}\n` });
    expect((await cli.run('daemon', 'status')).stdout).toContain(`running: pid ${pid}`);
  } finally {
    cli.dispose();
  }
});

it('says so, pointing at its log, when the daemon does not start', async () => {
  const cli = cliHome();
  try {
    // The daemon is started with the CLI's own entry; one that does not exist fails at once.
    const r = await runCli(['images'], { ...cli.env, TABDOCK_BIN: join(cli.home, 'no-such-tabdock.mjs') });
    expect(r).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: the tabdock daemon did not start; see ${join(cli.home, 'daemon.log')}\n` });
    expect(readFileSync(join(cli.home, 'daemon.log'), 'utf8')).toContain('no-such-tabdock.mjs');
  } finally {
    cli.dispose();
  }
});

it('says when the guest will boot from scratch (no snapshot, a stale one), on stderr and in info', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-snap-'));
  const missing = cliHome({ TABDOCK_SNAPSHOT: join(dir, 'none', 'guest-state.bin.zst') });
  const stale = cliHome({ TABDOCK_SNAPSHOT: join(dir, 'guest-state.bin.zst') });
  const off = cliHome({ TABDOCK_SNAPSHOT: join(dir, 'none', 'guest-state.bin.zst'), TABDOCK_GUEST: 'off' });
  try {
    const m = await missing.run('info');
    expect(m.code).toBe(0);
    expect(m.stderr).toBe(`tabdock: No guest snapshot at ${join(dir, 'none', 'guest-state.bin.zst')}; run kernel/make-snapshot.ts. The guest boots from scratch when a Linux container first starts, which is slower than restoring it; 'npm run snapshot' makes a snapshot that fits.\n`);
    expect(m.stdout).toContain(`\n Guest Boot: cold boot (No guest snapshot at ${join(dir, 'none', 'guest-state.bin.zst')}; run kernel/make-snapshot.ts.)\n`);
    // Said when the daemon starts, not on every command.
    expect((await missing.run('images', '-q')).stderr).toBe('');

    writeFileSync(join(dir, 'guest-state.bin.zst'), '');
    writeFileSync(join(dir, 'guest-state.json'), JSON.stringify({ v86: '0.0.0', bzImageSha256: 'x', initrdSha256: 'y' }));
    const s = await stale.run('info');
    expect(s.stderr).toContain('The guest snapshot was made with another kernel, initramfs or v86; run kernel/make-snapshot.ts again. The guest boots from scratch');
    expect(s.stdout).toContain('\n Guest Boot: cold boot (The guest snapshot was made with another kernel, initramfs or v86; run kernel/make-snapshot.ts again.)\n');

    const o = await off.run('info');
    expect(o.stderr).toBe('');
    expect(o.stdout).toContain('\n Guest Boot: off (TABDOCK_GUEST=off: only WebAssembly (wasi/wasm) images run)\n');
  } finally {
    off.dispose();
    missing.dispose();
    stale.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
