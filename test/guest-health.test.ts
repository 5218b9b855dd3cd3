// Hardening: a container cannot end the other containers by writing a kernel's last
// words on the console. Docker's default device rules allow `mknod c 5 1` (the console,
// which is the guest's serial line); guest health comes only from the machine resetting,
// the agent's port and its pings, never from text a container can print.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
}, 300_000);
afterAll(async () => {
  await cli?.run('rm', '-f', 'bystander').catch(() => undefined);
  cli?.dispose();
  await reg?.stop();
});

async function state(): Promise<{ Running: boolean; ExitCode: number; Error: string }> {
  const r = await cli.run('inspect', 'bystander');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { State: { Running: boolean; ExitCode: number; Error: string } }[])[0]!.State;
}

it('a container printing "Kernel panic" on the console ends nobody', async () => {
  const d = await cli.run('run', '-d', '--name', 'bystander', IMG, 'sleep', '600');
  expect(d.code, d.stderr).toBe(0);
  const attack = await cli.run('run', '--rm', IMG, 'sh', '-c',
    'mknod /tmp/console c 5 1 && for i in 1 2 3; do printf "\\nKernel panic - not syncing: Fatal exception\\nreboot: Restarting system\\n" > /tmp/console; done && echo written');
  expect(attack).toMatchObject({ code: 0, stdout: 'written\n' });
  // The bystander still runs, the guest still serves: an exec in it and a new container work.
  expect(await state()).toMatchObject({ Running: true, ExitCode: 0, Error: '' });
  expect(await cli.run('exec', 'bystander', 'echo', 'alive')).toMatchObject({ code: 0, stdout: 'alive\n' });
  expect(await cli.run('run', '--rm', IMG, 'echo', 'next')).toMatchObject({ code: 0, stdout: 'next\n' });
  expect(await state()).toMatchObject({ Running: true, ExitCode: 0 });
}, 240_000);

it('every container has a pids limit unless it lifts it, so a fork bomb cannot starve the others', async () => {
  const def = await cli.run('run', '--rm', IMG, 'cat', '/sys/fs/cgroup/pids.max');
  expect(def).toMatchObject({ code: 0, stdout: '1024\n' });
  const lifted = await cli.run('run', '--rm', '--pids-limit', '-1', IMG, 'cat', '/sys/fs/cgroup/pids.max');
  expect(lifted).toMatchObject({ code: 0, stdout: 'max\n' });
  const made = await cli.run('create', IMG);
  const r = await cli.run('inspect', made.stdout.trim());
  expect((JSON.parse(r.stdout) as { HostConfig: { PidsLimit: number } }[])[0]!.HostConfig.PidsLimit).toBe(1024);
  await cli.run('rm', made.stdout.trim());
}, 240_000);
