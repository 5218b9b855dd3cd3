/**
 * The committed guest, cold-booted in v86 in Node: agent, crun, containers over 9P
 * (v86's built-in 9P filesystem stands in for the fs-layers server), exit codes,
 * isolation, limits, and the control channel under load.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULK_PORT, type Guest } from '../../src/emulator/index.ts';
import { TabdockError } from '../../src/shared/errors.ts';
import { prepareNinePTree, sh, startGuest, writeBundle } from './guest-fixture.ts';

const BB = '/bin/busybox';
let guest: Guest;
let bootMs = 0;

beforeAll(async () => {
  const t0 = performance.now();
  guest = await startGuest();
  bootMs = performance.now() - t0;
  await prepareNinePTree(guest);
}, 240_000);

afterAll(async () => {
  await guest?.dispose();
});

async function runContainer(name: string, args: string[], extra: { hostname?: string; memoryLimit?: number } = {}) {
  const bundle = await writeBundle(guest, name, { args, ...extra });
  const proc = await guest.agent.run({ id: name, bundle });
  const out = await proc.output();
  await guest.agent.delete(name);
  return out;
}

describe('guest boot', () => {
  it('reaches agent-ready and reports itself', async () => {
    const info = await guest.info();
    expect(info.proto).toBe(1);
    // a cold boot sets up the bulk port (the host leaves port 2 a plain virtio port) and sends on it
    expect(info.bulk).toBe(BULK_PORT);
    expect(guest.linkPort).toBe(BULK_PORT);
    expect(info.kernel).toMatch(/^6\.1\.\d+-tabdock$/);
    // The boot time is a figure for `npm run bench`, not a check; printed for the log.
    console.log(`cold boot to agent-ready: ${Math.round(bootMs)} ms`);
  }, 180_000);

  it('is a 32-bit x86 guest: uname -m is i686', async () => {
    const out = await (await guest.agent.spawn(['/bin/uname', '-m'])).output();
    expect(out).toEqual({ status: 0, stdout: 'i686\n', stderr: '' });
  }, 180_000);

  it('has crun, which answers --version', async () => {
    const out = await (await guest.agent.spawn(['/usr/bin/crun', '--version'])).output();
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^crun version 1\.\d+/);
    expect(out.stdout).toContain('+SECCOMP');
  }, 180_000);

  it('has cgroup v2 with the container controllers enabled', async () => {
    const out = await (await guest.agent.spawn(['/bin/cat', '/sys/fs/cgroup/cgroup.subtree_control'])).output();
    expect(out.stdout.trim().split(' ').sort()).toEqual(['cpu', 'cpuset', 'io', 'memory', 'pids']);
  }, 180_000);

  it('sleeps for real (time32 syscalls of 32-bit userland work)', async () => {
    const t0 = performance.now();
    const out = await (await guest.agent.spawn([BB, 'sleep', '1'])).output();
    expect(out.status).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(900);
  }, 180_000);

  it('reports a failed request as a TabdockError with the agent\'s reason', async () => {
    const err = await guest.agent.mount({ aname: 'x', path: '/proc/nope/x' }).catch((e: unknown) => e);
    expect(TabdockError.is(err, 'AGENT_REQUEST_FAILED')).toBe(true);
  }, 180_000);
});

describe('containers from a rootfs served over 9P', () => {
  it('has one 9P mount at a time: Linux binds a virtio-9p channel to one mount, v86 has one device', async () => {
    // so containers share one mount and differ by bundle path (see src/emulator/README.md)
    const err = await guest.agent.mount({ aname: 'second', path: '/mnt/second' }).catch((e: unknown) => e);
    expect(TabdockError.is(err, 'AGENT_REQUEST_FAILED') && err.data.errno).toBe(16); // EBUSY
  }, 180_000);

  it('runs echo', async () => {
    expect(await runContainer('echo', [BB, 'echo', 'hello from 9p'])).toEqual({ status: 0, stdout: 'hello from 9p\n', stderr: '' });
  }, 180_000);

  it('returns the exit code: sh -c "exit 7" -> 7', async () => {
    expect((await runContainer('exit7', sh('exit 7'))).status).toBe(7);
  }, 180_000);

  it('keeps stdout and stderr apart', async () => {
    expect(await runContainer('fds', sh('echo out; echo err >&2'))).toEqual({ status: 0, stdout: 'out\n', stderr: 'err\n' });
  }, 180_000);

  it('sees its own PID 1 and its own hostname', async () => {
    const out = await runContainer('ns', sh(`echo $$; ${BB} hostname; ${BB} ps | ${BB} wc -l`), { hostname: 'box-one' });
    const [pid, host, psLines] = out.stdout.trim().split('\n');
    expect(pid).toBe('1');
    expect(host).toBe('box-one');
    // header + sh + ps + wc: nothing of the guest (agent, init) is visible
    expect(Number(psLines)).toBeLessThanOrEqual(4);
  }, 180_000);

  it('enforces its memory limit: the OOM kill exits 137', async () => {
    const out = await runContainer('oom', [BB, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=48M', 'count=1'], { memoryLimit: 16 * 1024 * 1024 });
    expect(out.status).toBe(137);
  }, 180_000);

  it('gives crun errors as stderr and status 1', async () => {
    const bundle = await writeBundle(guest, 'missing', { args: ['/bin/does-not-exist'] });
    const out = await (await guest.agent.run({ id: 'missing', bundle })).output();
    // crun's own failure to exec is status 1 (the engine maps its sentence to Docker's 127).
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/does-not-exist/);
    await guest.agent.delete('missing', true);
  }, 180_000);

  it('lists, stats, execs into, signals and deletes a running container', async () => {
    const bundle = await writeBundle(guest, 'sleeper', { args: [BB, 'sleep', '600'], memoryLimit: 64 * 1024 * 1024 });
    const main = await guest.agent.run({ id: 'sleeper', bundle });
    await expect.poll(async () => (await guest.agent.list()).find((c) => c.id === 'sleeper')?.status, { timeout: 90_000 }).toBe('running');
    await expect.poll(async () => (await guest.agent.stats('sleeper').catch(() => ({}) as Record<string, string>))['pids.current'], { timeout: 90_000, interval: 500 }).toBe('1');
    const stats = await guest.agent.stats('sleeper');
    expect(Number(stats['memory.max'])).toBe(64 * 1024 * 1024);
    expect(Number(stats['memory.current'])).toBeGreaterThan(0);

    const ex = await (await guest.agent.exec({ id: 'sleeper', args: [BB, 'sh', '-c', 'echo in $(cat /proc/1/comm); exit 3'] })).output();
    expect(ex).toEqual({ status: 3, stdout: 'in busybox\n', stderr: '' }); // PID 1 of the container is the main process

    const envCwd = await (await guest.agent.exec({ id: 'sleeper', args: [BB, 'sh', '-c', 'echo "$FOO $(pwd)"'], env: ['FOO=bar', 'PATH=/bin'], cwd: '/tmp' })).output();
    expect(envCwd).toEqual({ status: 0, stdout: 'bar /tmp\n', stderr: '' });

    const cat = await guest.agent.exec({ id: 'sleeper', args: [BB, 'cat'] });
    await cat.write('through exec stdin\n');
    cat.closeStdin();
    expect(await cat.output()).toEqual({ status: 0, stdout: 'through exec stdin\n', stderr: '' });

    const tty = await guest.agent.exec({ id: 'sleeper', args: [BB, 'stty', 'size'], tty: true, rows: 33, cols: 101 });
    expect((await tty.output()).stdout.trim()).toBe('33 101');

    await guest.agent.kill('sleeper', 9);
    expect(await main.exit).toBe(137);
    expect((await guest.agent.list()).find((c) => c.id === 'sleeper')).toMatchObject({ status: 'exited', exitCode: 137 });
    await guest.agent.delete('sleeper');
    expect((await guest.agent.list()).find((c) => c.id === 'sleeper')).toBeUndefined();
  }, 180_000);

  it('runs with a pseudo-terminal of the requested size, and resizes it', async () => {
    const bundle = await writeBundle(guest, 'tty', { args: sh(`${BB} stty size; read x; ${BB} stty size; echo "got $x"`), terminal: true });
    const proc = await guest.agent.run({ id: 'tty', bundle, tty: true, rows: 40, cols: 120 });
    let text = '';
    proc.onOutput((c) => (text += new TextDecoder().decode(c)));
    await expect.poll(() => text, { timeout: 90_000 }).toContain('40 120');
    await proc.resize(50, 132);
    await proc.write('typed\r');
    expect(await proc.exit).toBe(0);
    expect(text).toContain('50 132');
    expect(text).toContain('got typed');
    await guest.agent.delete('tty');
  }, 180_000);
});

describe('control channel under load', () => {
  it('delivers a 1 MiB stdin paste intact (and echoes it back intact)', async () => {
    const data = randomBytes(1 << 20);
    const bundle = await writeBundle(guest, 'cat', { args: [BB, 'cat'] });
    const proc = await guest.agent.run({ id: 'cat', bundle });
    const chunks: Uint8Array[] = [];
    proc.onOutput((c, fd) => fd === 1 && chunks.push(c));
    await proc.write(data);
    proc.closeStdin();
    expect(await proc.exit).toBe(0);
    const back = Buffer.concat(chunks);
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    await guest.agent.delete('cat');
  }, 180_000);

  it('applies backpressure: a paused stream stops its container, others carry on', async () => {
    const flood = await guest.agent.run({ id: 'flood', bundle: await writeBundle(guest, 'flood', { args: [BB, 'yes', 'flood'] }) });
    let received = 0;
    flood.onOutput((c) => (received += c.length));
    await expect.poll(() => received, { timeout: 90_000 }).toBeGreaterThan(0);
    flood.pause();
    const atPause = received;
    // Another container runs from start to end meanwhile (seconds, in which an unpaused
    // `yes` sends megabytes); after the pause at most the credit the agent already had
    // (the 64 KiB window) arrives.
    const other = await (await guest.agent.run({ id: 'other', bundle: await writeBundle(guest, 'other', { args: [BB, 'echo', 'still here'] }) })).output();
    expect(other.stdout).toBe('still here\n');
    expect(received - atPause).toBeLessThanOrEqual(65536);
    flood.resume();
    await expect.poll(() => received, { timeout: 90_000 }).toBeGreaterThan(atPause + 65536);
    await guest.agent.kill('flood', 9);
    expect(await flood.exit).toBe(137);
  }, 180_000);

  it('keeps ten containers printing at once apart, in order', async () => {
    const lines = 400;
    const procs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const bundle = await writeBundle(guest, `many${i}`, { args: sh(`i=0; while [ $i -lt ${lines} ]; do echo "c${i} $i"; i=$((i+1)); done; echo "c${i} err" >&2`) });
        return guest.agent.run({ id: `many${i}`, bundle });
      }),
    );
    const outs = await Promise.all(procs.map((p) => p.output()));
    outs.forEach((o, i) => {
      expect(o.status).toBe(0);
      expect(o.stdout).toBe(Array.from({ length: lines }, (_, n) => `c${i} ${n}\n`).join(''));
      expect(o.stderr).toBe(`c${i} err\n`);
    });
    for (let i = 0; i < 10; i++) await guest.agent.delete(`many${i}`);
  }, 180_000);
});
