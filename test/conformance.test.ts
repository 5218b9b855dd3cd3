// Docker's behaviours and exit codes where a script or tutorial depends on them (issue 19),
// end to end through the real `tabdock` (started by its `#!` line, as `npx` starts it), a
// real registry on loopback and the committed guest. One daemon serves the whole file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { busyboxCli, busyboxI386, runCli, type CliHome, type TestRegistry } from './support/index.ts';

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

describe('start-up and exit codes', () => {
  it('--env-file is the command\'s flag, never Node\'s: a missing file is 125 with Docker\'s sentence', async () => {
    for (const flag of [['--env-file', '/nonexistent/x.env'], ['--env-file=/nonexistent/x.env']]) {
      const r = await cli.run('run', '--rm', ...flag, IMG, 'true');
      expect(r).toEqual({ code: 125, stdout: '', stderr: "tabdock: open /nonexistent/x.env: no such file or directory.\nSee 'tabdock run --help'.\n" });
    }
  }, 120_000);

  it('-it with stdin not a terminal ends at once with exit 1, never waits on the shell', async () => {
    // runCli's stdin is a pipe that stays open: a container shell would wait on it for ever.
    const r = await runCli(['run', '-it', '--rm', IMG, 'sh'], cli.env, 60_000);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'the input device is not a TTY\n' });
  }, 120_000);

  it('run without arguments is 1; a taken name is 125 from run and 1 from create; rm -f of nothing is 0; a directory as the command is 126', async () => {
    const none = await cli.run('run');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^"tabdock run" requires at least 1 argument\.\nSee 'tabdock run --help'\.\n/);

    const first = await cli.run('create', '--name', 'taken', IMG, 'true');
    expect(first.code).toBe(0);
    const id = first.stdout.trim();
    const sentence = `Conflict. The container name "/taken" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`;
    expect(await cli.run('run', '--name', 'taken', IMG, 'true')).toEqual({ code: 125, stdout: '', stderr: `tabdock: Error response from daemon: ${sentence}\nSee 'tabdock run --help'.\n` });
    expect(await cli.run('create', '--name', 'taken', IMG, 'true')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: ${sentence}\n` });
    expect((await cli.run('rm', 'taken')).code).toBe(0);

    expect(await cli.run('rm', '-f', 'taken')).toEqual({ code: 0, stdout: '', stderr: 'Error: No such container: taken\n' });
    expect((await cli.run('rm', 'taken')).code).toBe(1);

    expect((await cli.run('run', '--rm', IMG, '/etc')).code).toBe(126);
  }, 180_000);
});

describe('exec', () => {
  it("keeps the container's env (PATH included) under -e; -u takes a name or an ID from the container's passwd, gid from its entry (0 when unlisted), groups from its group file and --group-add", async () => {
    const name = 'exec-env';
    // The container adds its user after it started: exec reads its files as they are now.
    const script = 'echo app:x:1000:1001::/home/app:/bin/sh >> /etc/passwd; echo staff:x:50:app >> /etc/group; echo dev:x:60:root,app >> /etc/group; echo ready > /tmp/ready; exec sleep 600';
    expect((await cli.run('run', '-d', '--name', name, '-e', 'FOO=bar', '--group-add', '77', IMG, 'sh', '-c', script)).code).toBe(0);
    try {
      // Wait until the container wrote its passwd line (a condition, not a sleep).
      for (let i = 0; (await cli.run('exec', name, 'cat', '/tmp/ready')).stdout !== 'ready\n'; i++) expect(i).toBeLessThan(200);
      const env = await cli.run('exec', '-e', 'X=1', '-e', 'FOO=over', name, 'sh', '-c', 'echo "$X|$FOO|$PATH|$HOME"');
      expect(env).toEqual({ code: 0, stdout: '1|over|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n', stderr: '' });
      expect((await cli.run('exec', '-u', 'app', name, 'sh', '-c', 'id -u; id -g; echo $HOME')).stdout).toBe('1000\n1001\n/home/app\n');
      expect((await cli.run('exec', '-u', '1000', name, 'id', '-g')).stdout).toBe('1001\n');
      // Supplementary groups, as moby gives an exec: the user's in /etc/group, then --group-add.
      expect((await cli.run('exec', '-u', 'app', name, 'sh', '-c', 'grep ^Groups: /proc/self/status')).stdout).toMatch(/^Groups:\s+50 60 77 1001\s*\n$/);
      expect((await cli.run('exec', name, 'sh', '-c', 'grep ^Groups: /proc/self/status')).stdout).toMatch(/^Groups:\s+0 60 77\s*\n$/);
      expect((await cli.run('exec', '-u', '4242', name, 'sh', '-c', 'id -u; id -g')).stdout).toBe('4242\n0\n');
      const nosuch = await cli.run('exec', '-u', 'nosuch', name, 'true');
      expect(nosuch.code).toBe(126);
      expect(nosuch.stderr).toContain('unable to find user nosuch: no matching entries in passwd file');
      // inspect's ExecIDs: the execs running now (null when none).
      const execIds = async () => (JSON.parse((await cli.run('inspect', name)).stdout) as Array<Record<string, unknown>>)[0]!['ExecIDs'];
      expect(await execIds()).toBeNull();
      const bg = cli.run('exec', name, 'sleep', '600');
      for (let i = 0; (await execIds()) === null; i++) expect(i).toBeLessThan(200);
      expect(await execIds()).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
      await cli.run('rm', '-f', name);
      await bg;
    } finally {
      await cli.run('rm', '-f', name);
    }
  }, 180_000);
});

describe('inspect', () => {
  it("shows Docker's top-level keys in Docker's order (no engine fields), the runtime files' paths, ExecIDs; image inspect of nothing is [] and exit 1", async () => {
    const name = 'inspected';
    expect((await cli.run('run', '-d', '--name', name, IMG, 'sleep', '600')).code).toBe(0);
    try {
      const [c] = JSON.parse((await cli.run('inspect', name)).stdout) as Array<Record<string, unknown>>;
      expect(Object.keys(c!)).toEqual([
        'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount',
        'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
      ]);
      const id = c!['Id'] as string;
      // The paths are the guest's files the container has bound at /etc/{hostname,hosts,resolv.conf}.
      expect([c!['HostnamePath'], c!['HostsPath'], c!['ResolvConfPath']]).toEqual([`/run/tabdock/${id}/hostname`, `/run/tabdock/${id}/hosts`, `/run/tabdock/${id}/resolv.conf`]);
      expect(c!['ExecIDs']).toBeNull();
    } finally {
      await cli.run('rm', '-f', name);
    }
    expect(await cli.run('image', 'inspect', 'nosuch')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such image: nosuch\n' });
  }, 120_000);

  it('image Size counts the files as Docker does (bytes of files and symlink targets), not the layer tar; history shows the same', async () => {
    // The busybox fixture's one layer: the binary, 18 applet symlinks to "busybox", /etc/passwd and /etc/group.
    const expected = statSync(busyboxI386()).size + 18 * 'busybox'.length + 'root:x:0:0:root:/root:/bin/sh\n'.length + 'root:x:0:\n'.length;
    expect((await cli.run('image', 'inspect', '-f', '{{.Size}}', IMG)).stdout).toBe(`${expected}\n`);
    const hist = (await cli.run('history', '--format', '{{.Size}}', '--human=false', IMG)).stdout.trim().split('\n');
    expect(hist).toContain(String(expected));
  }, 120_000);
});

describe('State.OOMKilled', () => {
  it('is true after the memory cgroup OOM killer ended the container, false after a kill', async () => {
    const oom = await cli.run('run', '--name', 'oomer', '-m', '32m', IMG, 'sh', '-c', 'busybox dd if=/dev/zero of=/dev/null bs=64M count=1');
    expect(oom.code).toBe(137);
    expect((await cli.run('inspect', '-f', '{{.State.OOMKilled}}', 'oomer')).stdout).toBe('true\n');
    expect((await cli.run('run', '-d', '--name', 'killed', IMG, 'sleep', '600')).code).toBe(0);
    expect((await cli.run('kill', 'killed')).code).toBe(0);
    expect((await cli.run('wait', 'killed')).stdout).toBe('137\n');
    expect((await cli.run('inspect', '-f', '{{.State.OOMKilled}}', 'killed')).stdout).toBe('false\n');
    await cli.run('rm', '-f', 'oomer', 'killed');
  }, 180_000);
});

describe('restart policies (last: it restarts the daemon)', () => {
  const inspect = async (name: string) => (JSON.parse((await cli.run('inspect', name)).stdout) as Array<Record<string, any>>)[0]!;
  const status = async (name: string) => {
    const c = await inspect(name);
    return `${c['State'].Status} ${c['State'].Restarting} ${c['RestartCount']}`;
  };
  const until = async (what: string, cond: () => Promise<boolean>) => {
    for (const end = Date.now() + 120_000; !(await cond()); ) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };

  it('validates --restart as Docker (125); on-failure:2 restarts a failing container twice and counts it', async () => {
    const bad = await cli.run('run', '--restart', 'sometimes', IMG, 'true');
    expect(bad).toEqual({ code: 125, stdout: '', stderr: "tabdock: invalid restart policy 'sometimes'\nSee 'tabdock run --help'.\n" });
    expect((await cli.run('run', '--rm', '--restart', 'always', IMG, 'true')).stderr).toContain('Conflicting options: --restart and --rm');

    expect((await cli.run('run', '-d', '--name', 'rs-fail', '--restart', 'on-failure:2', IMG, 'sh', '-c', 'echo ran; exit 3')).code).toBe(0);
    await until('the retries to end', async () => (await status('rs-fail')) === 'exited false 2');
    expect((await cli.run('logs', 'rs-fail')).stdout).toBe('ran\nran\nran\n');
    const c = await inspect('rs-fail');
    expect(c['State'].ExitCode).toBe(3);
    expect(c['HostConfig'].RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
  }, 240_000);

  it('always: back when the daemon starts again (a container without a policy is not); a stop is respected', async () => {
    expect((await cli.run('run', '-d', '--name', 'rs-always', '--restart', 'always', IMG, 'sleep', '600')).code).toBe(0);
    expect((await cli.run('run', '-d', '--name', 'rs-none', IMG, 'sleep', '600')).code).toBe(0);
    expect((await cli.run('daemon', 'stop')).code).toBe(0);
    // The next command starts the daemon, which starts rs-always (a guest restore first).
    await until('rs-always to run again', async () => (await status('rs-always')) === 'running false 0');
    expect((await inspect('rs-none'))['State'].Status).toBe('exited');
    expect((await cli.run('exec', 'rs-always', 'echo', 'alive')).stdout).toBe('alive\n');
    // A stop is final: the exit it causes is not restarted (it would show as restarting at once).
    expect((await cli.run('stop', '-t', '1', 'rs-always')).code).toBe(0);
    expect(await status('rs-always')).toBe('exited false 0');
  }, 300_000);
});
