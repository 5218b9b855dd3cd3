// `tabdock run` and friends end to end, as a user types them: a real registry, our store
// and 9P server, the committed guest in v86, crun inside it. Docker's behaviour and exit
// codes, and the isolation a container must have.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

const sh = (script: string, ...flags: string[]) => cli.run('run', '--rm', ...flags, IMG, 'sh', '-c', script);

describe('tabdock run', () => {
  it('prints what the container prints and returns its exit code', async () => {
    expect(await cli.run('run', '--rm', IMG, 'echo', 'hello')).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    const r = await sh('echo out; echo err >&2; exit 7');
    expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  }, 120_000);

  it('exits 127 for a command that does not exist, 126 for one that cannot be invoked, 125 for engine errors', async () => {
    const nf = await cli.run('run', '--rm', IMG, 'no-such-command');
    expect(nf.code).toBe(127);
    const ni = await cli.run('run', '--rm', IMG, '/etc/passwd');
    expect(ni.code).toBe(126);
    const flag = await cli.run('run', '--memory', '12x', IMG, 'true');
    expect(flag.code).toBe(125);
    expect(flag.stderr).toContain('invalid argument "12x"');
    // Flags taken but not applied yet are refused with a sentence, never ignored.
    const execDetached = await cli.run('exec', '-d', 'anything', 'true');
    expect(execDetached.code).toBe(125);
    expect(execDetached.stderr).toContain('exec --detach is not supported yet');
    const noImage = await cli.run('run', '--rm', `${reg.host}/nothere`, 'true');
    expect(noImage.code).toBe(125);
    expect(noImage.stderr).toContain("Unable to find image");
  }, 120_000);

  it('follows the image config and the flags: Cmd, Env, WorkingDir (created), user, hostname', async () => {
    expect((await cli.run('run', '--rm', IMG)).code).toBe(0); // Cmd ["sh"] with no stdin: exits 0
    const env = await sh('echo "$PATH|$HOSTNAME|$HOME|$FOO"', '-e', 'FOO=bar', '-h', 'box');
    expect(env.stdout).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|box|/root|bar\n');
    expect((await sh('pwd', '-w', '/work/here')).stdout).toBe('/work/here\n');
    expect((await sh('id -u; id -g', '-u', '1000:1000')).stdout).toBe('1000\n1000\n');
    expect((await sh('hostname', '-h', 'myhost')).stdout).toBe('myhost\n');
    const entry = await cli.run('run', '--rm', '--entrypoint', 'echo', IMG, 'a', 'b');
    expect(entry.stdout).toBe('a b\n');
  }, 120_000);
});

describe('isolation', () => {
  it('sees only its own processes (PID 1 is its command), its hostname, and with --network none no network but lo (and the idle sit0)', async () => {
    // ps sees the shell (PID 1) and itself: two processes, nothing of the guest's. (Not
    // `ps | wc -l`: wc may not have started when ps reads /proc, which CI saw once.)
    // The guest kernel has IPv6-in-IPv4 (sit) built in, so every new network namespace gets
    // its fallback device sit0, down and unconfigured, as on a Docker host with the sit
    // module loaded; --network none adds no other interface (test/network.test.ts has the rest).
    const r = await sh('echo $$; ps -o pid= > /tmp/ps; wc -l < /tmp/ps; hostname; ls /sys/class/net; cat /sys/class/net/sit0/operstate', '-h', 'iso', '--network', 'none');
    expect(r).toEqual({ code: 0, stdout: '1\n2\niso\nlo\nsit0\ndown\n', stderr: '' });
  }, 120_000);

  it('ends with 137 when it exceeds -m, and the guest survives', async () => {
    // dd's 64 MiB buffer is filled by the kernel: the cgroup limit, not the CPU, ends it.
    const r = await sh('busybox dd if=/dev/zero of=/dev/null bs=64M count=1', '-m', '32m');
    expect(r.code).toBe(137);
    expect((await cli.run('run', '--rm', IMG, 'echo', 'alive')).stdout).toBe('alive\n');
  }, 120_000);

  it('--pids-limit contains a fork storm and the next container runs', async () => {
    const r = await sh('cat /sys/fs/cgroup/pids.max; for i in $(seq 60); do sleep 2 & done; wait; echo survived', '--pids-limit', '32');
    expect(r.stdout.split('\n')[0]).toBe('32');
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    expect((await cli.run('run', '--rm', IMG, 'echo', 'next')).stdout).toBe('next\n');
  }, 120_000);

  it('cannot remount its root, write /proc/sys, or see the agent’s console', async () => {
    const r = await sh('mount -o remount,rw / 2>/dev/null && echo remounted; echo x 2>/dev/null > /proc/sys/kernel/hostname && echo wrote; ls /dev | grep -c hvc');
    expect(r.stdout).toBe('0\n');
  }, 120_000);
});

// What the flags write into the OCI config is enforced by the guest's kernel, seen from inside.
describe('security and limits, enforced inside the guest', () => {
  it("keeps Docker's default capabilities; --cap-drop takes one away, --cap-add gives one", async () => {
    const caps = 'grep CapEff /proc/self/status; echo x > /tmp/f; busybox chown 1000 /tmp/f && echo chowned';
    expect(await sh(caps)).toEqual({ code: 0, stdout: 'CapEff:\t00000000a80425fb\nchowned\n', stderr: '' });
    expect(await sh(caps, '--cap-drop', 'CHOWN')).toEqual({ code: 1, stdout: 'CapEff:\t00000000a80425fa\n', stderr: 'chown: /tmp/f: Operation not permitted\n' });
    // Mounting needs CAP_SYS_ADMIN (and Docker's seccomp profile allows mount(2) only with it).
    const mount = 'busybox mount -t tmpfs none /tmp && grep -c "^none /tmp tmpfs" /proc/mounts';
    expect(await sh(mount)).toEqual({ code: 1, stdout: '', stderr: 'mount: permission denied (are you root?)\n' });
    expect(await sh(mount, '--cap-add', 'SYS_ADMIN')).toEqual({ code: 0, stdout: '1\n', stderr: '' });
  }, 180_000);

  it('--privileged: every capability, no seccomp filter, /proc/sys writable', async () => {
    const r = await sh('grep -E "CapEff|Seccomp:" /proc/self/status; echo priv > /proc/sys/kernel/hostname && hostname', '--privileged');
    expect(r).toEqual({ code: 0, stdout: 'CapEff:\t000001ffffffffff\nSeccomp:\t0\npriv\n', stderr: '' });
  }, 120_000);

  it('--read-only makes a write to the root fail with EROFS; --tmpfs mounts a writable tmpfs with its size', async () => {
    const r = await sh('touch /x; echo y > /data/y && cat /data/y; grep " /data " /proc/mounts', '--read-only', '--tmpfs', '/data:size=1m');
    expect(r).toEqual({ code: 0, stdout: 'y\ntmpfs /data tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k 0 0\n', stderr: 'touch: /x: Read-only file system\n' });
    const full = await sh('busybox dd if=/dev/zero of=/data/big bs=1k count=2048 2>&1 | head -1', '--tmpfs', '/data:size=1m');
    expect(full.stdout).toBe("dd: error writing '/data/big': No space left on device\n");
  }, 120_000);

  it('--ulimit sets the soft and hard limits the container sees', async () => {
    expect(await sh('ulimit -n; ulimit -Hn', '--ulimit', 'nofile=100:200')).toEqual({ code: 0, stdout: '100\n200\n', stderr: '' });
  }, 120_000);

  it("Docker's default seccomp profile blocks unshare(2) (a user namespace needs no capability); seccomp=unconfined lifts it", async () => {
    const userns = 'grep Seccomp: /proc/self/status; busybox unshare -U true && echo unshared';
    expect(await sh(userns)).toEqual({ code: 1, stdout: 'Seccomp:\t2\n', stderr: 'unshare: unshare(0x10000000): Operation not permitted\n' });
    expect(await sh(userns, '--security-opt', 'seccomp=unconfined')).toEqual({ code: 0, stdout: 'Seccomp:\t0\nunshared\n', stderr: '' });
  }, 120_000);
});

describe('containers over time: -d, ps, logs, exec, stop, rm', () => {
  it('runs detached, lists, logs, execs, keeps files apart, stops and removes', async () => {
    const d = await cli.run('run', '-d', '--name', 'sleeper', IMG, 'sh', '-c', 'echo started; echo secret > /mine; sleep 300');
    expect(d.code, d.stderr).toBe(0);
    const id = d.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await cli.run('ps');
    expect(ps.stdout).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    // Docker joins Path and Args with spaces (no inner quoting), cut at 20 characters.
    expect(ps.stdout).toMatch(new RegExp(`${id.slice(0, 12)}\\s+${IMG.replace(/[.]/g, '\\.')}\\s+"sh -c 'echo started…"\\s+.+ ago\\s+Up .+\\s+sleeper\\n`));
    expect(await eventually(async () => (await cli.run('logs', 'sleeper')).stdout, (s) => s !== '')).toBe('started\n');

    expect((await cli.run('exec', 'sleeper', 'cat', '/mine')).stdout).toBe('secret\n');
    expect((await cli.run('exec', 'sleeper', 'sh', '-c', 'exit 4')).code).toBe(4);
    // A second container sees neither the first's files nor its processes.
    const other = await sh('cat /mine 2>&1; ps -o args= | grep -c "[s]leep 300"');
    expect(other.stdout).toBe('cat: can\'t open \'/mine\': No such file or directory\n0\n');
    // As non-root it cannot read a root-only file.
    await cli.run('exec', 'sleeper', 'sh', '-c', 'echo s > /root-only; chmod 600 /root-only');
    const denied = await cli.run('exec', '-u', '1000', 'sleeper', 'cat', '/root-only');
    expect(denied).toEqual({ code: 1, stdout: '', stderr: "cat: can't open '/root-only': Permission denied\n" });

    const stop = await cli.run('stop', '-t', '1', 'sleeper');
    expect(stop.stdout).toBe('sleeper\n');
    // Its shell, PID 1 with no SIGTERM handler, does not die of the stop's SIGTERM: the
    // SIGKILL after the grace (-t 1) ends it, 137.
    const all = await cli.run('ps', '-a');
    expect(all.stdout).toMatch(/Exited \(137\) .+ ago\s+sleeper\n/);
    expect((await cli.run('ps', '-q')).stdout).toBe('');
    expect((await cli.run('logs', sleeperTail())).stdout).toBe('started\n');
    const ins = JSON.parse((await cli.run('inspect', 'sleeper')).stdout);
    expect(ins[0]).toMatchObject({ Id: id, Name: '/sleeper', State: { Status: 'exited', Running: false }, Config: { Image: IMG }, HostConfig: { AutoRemove: false } });
    expect((await cli.run('rm', 'sleeper')).stdout).toBe('sleeper\n');
    expect((await cli.run('ps', '-aq')).stdout).toBe('');
  }, 180_000);

  it('restart runs the container again (a fresh PID 1, the logs kept); logs -t gives each line its time', async () => {
    const t0 = new Date();
    const d = await cli.run('run', '-d', '--name', 'again', IMG, 'sh', '-c', 'echo run; exec sleep 300');
    expect(d.code, d.stderr).toBe(0);
    expect(await eventually(async () => (await cli.run('logs', 'again')).stdout, (s) => s !== '')).toBe('run\n');
    const started = async () => (JSON.parse((await cli.run('inspect', 'again')).stdout)[0].State as { StartedAt: string; Running: boolean; Pid: number });
    const first = await started();
    expect(await cli.run('restart', '-t', '1', 'again')).toEqual({ code: 0, stdout: 'again\n', stderr: '' });
    expect(await eventually(async () => (await cli.run('logs', 'again')).stdout, (s) => s === 'run\nrun\n')).toBe('run\nrun\n');
    const second = await started();
    expect(second.Running).toBe(true);
    expect(Date.parse(second.StartedAt)).toBeGreaterThan(Date.parse(first.StartedAt));
    const stamped = (await cli.run('logs', '-t', 'again')).stdout;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z run\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z run\n$/);
    const times = stamped.trimEnd().split('\n').map((l) => Date.parse(l.split(' ')[0]!));
    expect(times[0]).toBeGreaterThanOrEqual(t0.getTime() - 1000);
    expect(times[1]).toBeGreaterThanOrEqual(Date.parse(second.StartedAt) - 1000);
    expect(times[1]).toBeLessThanOrEqual(Date.now());
    expect((await cli.run('rm', '-f', 'again')).code).toBe(0);
  }, 180_000);

  it('keeps a stopped container and its logs across a daemon restart; a container running when the engine went away shows as exited', async () => {
    await cli.run('run', '--name', 'keeper', IMG, 'sh', '-c', 'echo kept');
    const d = await cli.run('run', '-d', '--name', 'orphan', IMG, 'sleep', '300');
    expect(d.code).toBe(0);
    expect((await cli.run('daemon', 'stop')).code).toBe(0);
    expect((await cli.run('logs', 'keeper')).stdout).toBe('kept\n');
    const all = await cli.run('ps', '-a');
    expect(all.stdout).toMatch(/Exited \(0\) .+ ago\s+keeper\n/);
    expect(all.stdout, all.stdout).toMatch(/Exited \(137\) .+ ago\s+orphan\n/);
    expect((await cli.run('start', '-a', 'keeper')).stdout).toBe('kept\n');
    expect((await cli.run('logs', '--tail', '1', 'keeper')).stdout).toBe('kept\n');
    expect((await cli.run('logs', 'keeper')).stdout).toBe('kept\nkept\n');
    expect((await cli.run('rm', '-f', 'keeper', 'orphan')).code).toBe(0);
  }, 240_000);
});

function sleeperTail(): string {
  return 'sleeper';
}

/** Polls until `done` holds (a detached container starts in its own time), up to 60 s (a loaded machine). */
async function eventually<T>(get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('the daemon log records no engine errors, and every guest restored from the snapshot', async () => {
  const log = readFileSync(join(cli.home, 'daemon.log'), 'utf8');
  expect(log).not.toMatch(/Error|TypeError|Unhandled/);
  expect(log).not.toContain('from scratch');
  expect(log).toMatch(/ guest restored from the snapshot \S+ in \d+ ms \(\d+ MiB of memory\)\n/);
  expect((await cli.run('info')).stdout).toMatch(/\n Guest Boot: restores the snapshot \S+guest-state\.bin\.zst\n/);
});

describe('run -it in a real terminal (tmux)', () => {
  it('gives the container a PTY of the terminal’s size, and returns the shell’s exit status', async () => {
    const { execFileSync } = await import('node:child_process');
    const { BIN } = await import('./support/index.ts');
    const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });
    const session = `tabdock-it-${process.pid}`;
    const screen = () => tmux('capture-pane', '-p', '-t', session);
    tmux('new-session', '-d', '-x', '100', '-y', '20', '-s', session,
      `TABDOCK_HOME=${cli.home} TABDOCK_INSECURE_REGISTRIES=${reg.host} ${process.execPath} ${BIN} run -it --rm ${IMG} sh; echo EXITED=$?; sleep 60`);
    try {
      expect(await eventually(async () => screen(), (s) => s.includes('/ #'))).toContain('/ #');
      tmux('send-keys', '-t', session, 'echo pid=$$ size=$(stty size)', 'Enter');
      expect(await eventually(async () => screen(), (s) => s.includes('pid=1 size='))).toContain('pid=1 size=20 100');
      tmux('send-keys', '-t', session, 'exit 3', 'Enter');
      expect(await eventually(async () => screen(), (s) => s.includes('EXITED='))).toContain('EXITED=3');
    } finally {
      tmux('kill-session', '-t', session);
    }
  }, 120_000);
});

describe('removing the image frees its unpacked layers', () => {
  it('rmi after the last container is gone leaves no chunk behind', async () => {
    const { readdirSync, existsSync } = await import('node:fs');
    const chunks = join(cli.home, 'chunks', 'blobs', 'sha256');
    expect(readdirSync(chunks).length).toBeGreaterThan(0);
    expect((await cli.run('ps', '-aq')).stdout).toBe('');
    const r = await cli.run('rmi', IMG);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(chunks) ? readdirSync(chunks) : []).toEqual([]);
  }, 120_000);
});
