// Docker's container commands beyond run/ps/logs basics, end to end against the real
// guest: logs --since/--until, top, rename, pause/unpause, update, events. One daemon
// (and one guest) for the whole file.
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

async function until<T>(what: string, get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An RFC 3339 time with nanoseconds as the API's SECONDS.NANOS. */
const apiTime = (t: string) => {
  const [, whole, frac] = /^(.*?)\.(\d{9})Z$/.exec(t)!;
  return `${Date.parse(`${whole}Z`) / 1000}.${frac}`;
};

describe('logs --since/--until', () => {
  it('shows the lines in the window, for RFC 3339, Unix and relative times; refuses what is no time', async () => {
    const d = await cli.run('run', '-d', '--name', 'lg', IMG, 'sh', '-c', 'echo one; while [ ! -e /go ]; do usleep 20000; done; echo two; exec sleep 300');
    expect(d.code, d.stderr).toBe(0);
    await until('line one', () => cli.run('logs', 'lg'), (r) => r.stdout === 'one\n');
    expect((await cli.run('exec', 'lg', 'sh', '-c', ': > /go')).code).toBe(0);
    const stamped = await until('line two', () => cli.run('logs', '-t', 'lg'), (r) => r.stdout.endsWith(' two\n'));
    const [t1, t2] = stamped.stdout.trimEnd().split('\n').map((l) => l.split(' ')[0]!);
    expect(t2! > t1!).toBe(true);
    expect((await cli.run('logs', '--since', t2!, 'lg')).stdout).toBe('two\n');
    expect((await cli.run('logs', '--until', t1!, 'lg')).stdout).toBe('one\n');
    expect((await cli.run('logs', '--since', apiTime(t2!), 'lg')).stdout).toBe('two\n');
    expect((await cli.run('logs', '--since', t1!, '--until', t1!, '-t', 'lg')).stdout).toBe(`${t1} one\n`);
    expect((await cli.run('logs', '--since', '10m', 'lg')).stdout).toBe('one\ntwo\n');
    expect((await cli.run('logs', '--until', '10m', 'lg')).stdout).toBe('');
    // An --until in the past ends -f at once, though the container runs on.
    expect(await cli.run('logs', '-f', '--until', t2!, 'lg')).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    // The docker client's own error, exit 1.
    expect(await cli.run('logs', '--since', 'yesterday', 'lg')).toEqual({ code: 1, stdout: '', stderr: 'invalid value for "since": failed to parse value as time or duration: "yesterday"\n' });
    expect((await cli.run('rm', '-f', 'lg')).code).toBe(0);
  }, 240_000);
});
