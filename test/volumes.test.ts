// Volumes end to end, as a user types them: named volumes outlive their containers and
// are shared, a new volume takes the image's files, anonymous ones go with `--rm`, bind
// mounts are refused with a sentence; and `--init` (tini from the guest). Real registry,
// store, 9P server, guest and crun.
import { afterAll, beforeAll, expect, it } from 'vitest';
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

async function ok(...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

it('keeps a named volume across containers', async () => {
  await ok('run', '--rm', '-v', 'data:/data', IMG, 'sh', '-c', 'echo kept > /data/f && mkdir /data/d');
  expect(await ok('run', '--rm', '-v', 'data:/srv/x', IMG, 'sh', '-c', 'cat /srv/x/f; ls /srv/x')).toBe('kept\nd\nf\n');
}, 120_000);

it('shares a volume between two running containers', async () => {
  const a = (await ok('run', '-d', '-v', 'shared:/s', IMG, 'sh', '-c', 'while [ ! -e /s/ping ]; do usleep 100000; done; echo pong > /s/pong')).trim();
  await ok('run', '--rm', '-v', 'shared:/s', IMG, 'sh', '-c', ': > /s/ping');
  expect((await ok('wait', a)).trim()).toBe('0');
  expect(await ok('run', '--rm', '-v', 'shared:/s', IMG, 'cat', '/s/pong')).toBe('pong\n');
  await ok('rm', a);
}, 120_000);

it('fills a new volume with the image files at its mount point, once', async () => {
  const passwd = await ok('run', '--rm', IMG, 'cat', '/etc/passwd');
  expect(await ok('run', '--rm', '-v', 'etcvol:/etc', IMG, 'cat', '/etc/passwd')).toBe(passwd);
  await ok('run', '--rm', '-v', 'etcvol:/etc', IMG, 'rm', '/etc/passwd');
  // not filled again: the volume is no longer new
  const r = await cli.run('run', '--rm', '-v', 'etcvol:/etc', IMG, 'cat', '/etc/passwd');
  expect(r.code).toBe(1);
}, 120_000);

it('mounts read-only with :ro', async () => {
  const r = await cli.run('run', '--rm', '-v', 'data:/data:ro', IMG, 'sh', '-c', 'cat /data/f && touch /data/g');
  expect(r.stdout).toBe('kept\n');
  expect(r.stderr).toMatch(/Read-only file system/);
  expect(r.code).toBe(1);
}, 60_000);

it('refuses a bind mount with a sentence and exit 125', async () => {
  const r = await cli.run('run', '--rm', '-v', '/tmp:/host', IMG, 'true');
  expect(r.code).toBe(125);
  expect(r.stderr).toMatch(/bind mounts \(\/tmp:\/host\) need a host directory.*use a named volume/);
}, 60_000);

it('runs the command under docker-init with --init (PID 1 is tini, signals reach the child)', async () => {
  expect(await ok('run', '--rm', '--init', IMG, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; echo $$')).toMatch(/^\/sbin\/docker-init -- sh -c .*\n[0-9]+\n$/);
  const id = (await ok('run', '-d', '--init', IMG, 'sleep', '60')).trim();
  // Once tini has started its child (before that, PID 1 has no handler yet and the kernel
  // drops a SIGTERM sent to a namespace's init, as it would under Docker).
  const deadline = Date.now() + 60_000;
  while (!/sleep 60/.test((await cli.run('top', id)).stdout)) {
    if (Date.now() > deadline) throw new Error('sleep never started under docker-init');
    await new Promise((r) => setTimeout(r, 200));
  }
  const t0 = Date.now();
  await ok('stop', '-t', '20', id);
  // tini forwards SIGTERM to sleep, so the stop does not wait out its timeout
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect((await ok('inspect', '-f', '{{.State.ExitCode}}', id)).trim()).toBe('143');
  await ok('rm', id);
}, 120_000);

it('lists, inspects, refuses to remove in use, and prunes volumes (docker volume)', async () => {
  expect(await ok('volume', 'create', 'made')).toBe('made\n');
  const ls = await ok('volume', 'ls');
  expect(ls).toMatch(/^DRIVER +VOLUME NAME\n/);
  expect(ls).toMatch(/local +data\n/);
  expect(ls).toMatch(/local +made\n/);
  const [v] = JSON.parse(await ok('volume', 'inspect', 'data')) as { Name: string; Driver: string; Mountpoint: string; UsageData: { Size: number } }[];
  expect(v).toMatchObject({ Name: 'data', Driver: 'local', Mountpoint: '/var/lib/docker/volumes/data/_data' });
  expect(v!.UsageData.Size).toBeGreaterThan(0);

  const id = (await ok('create', '-v', 'made:/m', IMG, 'true')).trim();
  const busy = await cli.run('volume', 'rm', 'made');
  expect(busy.code).toBe(1);
  expect(busy.stderr).toContain(`remove made: volume is in use - [${id}]`);
  await ok('rm', id);
  expect(await ok('volume', 'rm', 'made')).toBe('made\n');
  const gone = await cli.run('volume', 'inspect', 'made');
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain('get made: no such volume');

  // an anonymous volume (an image-less `-v /path`) stays after rm, goes with rm -v / prune
  const a = (await ok('create', '-v', '/scratch', IMG, 'true')).trim();
  const anon = (JSON.parse(await ok('inspect', a)) as { Mounts: { Name: string }[] }[])[0]!.Mounts[0]!.Name;
  expect(anon).toMatch(/^[0-9a-f]{64}$/);
  await ok('rm', a);
  expect(await ok('volume', 'ls', '-q')).toContain(anon);
  const pruned = await ok('volume', 'prune', '-f');
  expect(pruned).toContain(`Deleted Volumes:\n${anon}\n`);
  expect(await ok('volume', 'ls', '-q')).toContain('data'); // named volumes stay without -a
  const b = (await ok('create', '-v', '/scratch', IMG, 'true')).trim();
  const anon2 = (JSON.parse(await ok('inspect', b)) as { Mounts: { Name: string }[] }[])[0]!.Mounts[0]!.Name;
  await ok('rm', '-v', b);
  expect(await ok('volume', 'ls', '-q')).not.toContain(anon2);
}, 120_000);

it('shows a running container in stats --no-stream: memory against -m, block I/O from its cgroup, no network', async () => {
  // The container writes to a tmpfs and reads its files over 9P: neither is a block device,
  // so the cgroup's io.stat counts nothing, and stats says 0B / 0B (read, not assumed).
  const id = (await ok('run', '-d', '-m', '64m', '--network', 'none', '--tmpfs', '/scratch', IMG, 'sh', '-c', 'busybox dd if=/dev/zero of=/scratch/f bs=64k count=16 2>/dev/null; cat /bin/busybox > /dev/null; exec sleep 300')).trim();
  // Until crun has the container running the agent has no figures: stats says `--` then.
  const want = new RegExp(`^${id.slice(0, 12)} +\\S+ +\\d+\\.\\d\\d% +[\\d.]+(B|KiB|MiB) / 64MiB +\\d+\\.\\d\\d% +-- +0B / 0B +1$`);
  let out = '';
  await expect.poll(async () => (out = await ok('stats', '--no-stream', id)).trimEnd().split('\n')[1], { timeout: 60_000, interval: 500 }).toMatch(want);
  expect(out.split('\n')[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
  await ok('rm', '-f', id);
}, 120_000);

it('stats counts the bytes a container on the default bridge sends and receives (NET I/O)', async () => {
  const id = (await ok('run', '-d', IMG, 'sleep', '300')).trim();
  const bytes = (n: string, unit: string) => Number(n) * (unit === 'B' ? 1 : unit === 'kB' ? 1000 : 1e6);
  const netIo = async (): Promise<[number, number] | undefined> => {
    const m = / (\d+(?:\.\d+)?)(B|kB|MB) \/ (\d+(?:\.\d+)?)(B|kB|MB) +\S+ \/ /.exec((await ok('stats', '--no-stream', id)).trimEnd().split('\n')[1] ?? '');
    return m ? [bytes(m[1]!, m[2]!), bytes(m[3]!, m[4]!)] : undefined;
  };
  let before: [number, number] | undefined;
  await expect.poll(async () => (before = await netIo()), { timeout: 60_000, interval: 500 }).toBeDefined();
  // Pings to a second container on the bridge.
  const peer = (await ok('run', '-d', IMG, 'sleep', '300')).trim();
  const ip = (JSON.parse(await ok('inspect', peer)) as { NetworkSettings: { IPAddress: string } }[])[0]!.NetworkSettings.IPAddress;
  expect(await ok('exec', id, '/bin/busybox', 'ping', '-c', '3', '-W', '5', ip)).toContain('3 packets received');
  // Three echo requests of 84 bytes out and three replies in, at least (kB figures are rounded to 10 B).
  const after = (await netIo())!;
  expect(after[0] - before![0]).toBeGreaterThanOrEqual(3 * 84 - 10);
  expect(after[1] - before![1]).toBeGreaterThanOrEqual(3 * 84 - 10);
  await ok('rm', '-f', id, peer);
}, 120_000);

it('stats shows a busy container using the CPU, an idle one not', async () => {
  const cpu = (out: string, name: string) => Number(new RegExp(`^\\S+ +${name} +(\\d+\\.\\d\\d)%`, 'm').exec(out)?.[1]);
  const busy = (await ok('run', '-d', '--name', 'busy', IMG, 'sh', '-c', 'while :; do :; done')).trim();
  const idle = (await ok('run', '-d', '--name', 'idle', IMG, 'sleep', '300')).trim();
  // Both samples of one `stats --no-stream` read (a figure from an unread sample is `--`).
  let out = '';
  await expect.poll(async () => {
    out = await ok('stats', '--no-stream', busy, idle);
    return [cpu(out, 'busy'), cpu(out, 'idle')].every((x) => !Number.isNaN(x));
  }, { timeout: 60_000, interval: 500 }).toBe(true);
  // One busy loop on the guest's one CPU: most of it, even when the host is loaded.
  expect(cpu(out, 'busy')).toBeGreaterThan(30);
  expect(cpu(out, 'idle')).toBeLessThan(5);
  await ok('rm', '-f', busy, idle);
}, 120_000);
