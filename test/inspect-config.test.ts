// `docker inspect`'s Config is the image config and the run flags merged by moby's rules
// (engine/spec mergeContainerConfig), as Docker shows it; and `create` checks names and
// commands by the same rules. Real registry, real store; `create` needs no guest.
import { writeFileSync } from 'node:fs';
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

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function inspect(...createArgs: string[]): Promise<{ Config: Record<string, unknown>; Path: string; Args: string[] }> {
  const made = await cli.run('create', ...createArgs);
  expect(made.code, made.stderr).toBe(0);
  const r = await cli.run('inspect', made.stdout.trim());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { Config: Record<string, unknown>; Path: string; Args: string[] }[])[0]!;
}

describe('inspect shows the merged Config', () => {
  it('Env: the -e values first, then the image ENV they do not override', async () => {
    const c = await inspect('-e', 'FOO=1', '-e', 'BAR=two words', IMG);
    expect(c.Config['Env']).toEqual(['FOO=1', 'BAR=two words', PATH]);
    const over = await inspect('-e', 'PATH=/mine', IMG);
    expect(over.Config['Env']).toEqual(['PATH=/mine']);
    expect((await inspect(IMG)).Config['Env']).toEqual([PATH]);
  }, 120_000);

  it('Cmd, Entrypoint, Labels, WorkingDir, User and StopSignal as moby merges them', async () => {
    const plain = await inspect(IMG);
    expect(plain.Config).toMatchObject({ Cmd: ['sh'], Entrypoint: null, Labels: { 'org.tabdock.fixture': 'busybox' }, WorkingDir: '', User: '' });
    expect([plain.Path, ...plain.Args]).toEqual(['sh']);
    const ep = await inspect('--entrypoint', 'echo', '-w', '/w', '-u', '1000', '--label', 'a=b', '--stop-signal', 'SIGUSR1', IMG, 'hi');
    expect(ep.Config).toMatchObject({ Cmd: ['hi'], Entrypoint: ['echo'], WorkingDir: '/w', User: '1000', StopSignal: 'SIGUSR1' });
    expect(ep.Config['Labels']).toEqual({ 'org.tabdock.fixture': 'busybox', a: 'b' });
    expect([ep.Path, ...ep.Args]).toEqual(['echo', 'hi']);
  }, 120_000);

  it('refuses what moby refuses, with its sentence (125 for what the flags say; a daemon refusal from create is 1, as docker/cli create.go returns it)', async () => {
    const none = await cli.run('create', '--entrypoint', '', IMG);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Error response from daemon: No command specified');
    const noneRun = await cli.run('run', '--entrypoint', '', IMG);
    expect(noneRun.code).toBe(125);
    expect(noneRun.stderr).toContain('No command specified');
    // Through --env-file: the strings are too long for this host's own execve of the CLI.
    const envFile = join(cli.home, 'big.env');
    writeFileSync(envFile, `BIG=${'x'.repeat(200 * 1024)}\n`);
    const long = await cli.run('create', '--env-file', envFile, IMG);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('argument list too long: one environment entry (BIG=xxxxxxxxxxxxxxxx...) is 204805 bytes');
    writeFileSync(envFile, Array.from({ length: 40 }, (_, i) => `V${i}=${'y'.repeat(60 * 1024)}\n`).join(''));
    const many = await cli.run('create', '--env-file', envFile, IMG);
    expect(many.code).toBe(1);
    expect(many.stderr).toContain('argument list too long: the command and its 41 environment entries take');
    expect(many.stderr).toContain("over the kernel's 2 MiB limit for starting a program");
    const bad = await cli.run('create', '--name', 'a', IMG);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('Invalid container name (a)');
  }, 120_000);
});
