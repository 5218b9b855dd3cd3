// Ctrl-C in the Node CLI, end to end (a real registry and guest): while `run` is attached
// the CLI forwards SIGINT to the container (docker's sig-proxy) and exits with the
// container's status; `logs -f` just ends (130).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, busyboxCli, type CliHome, type TestRegistry } from '../../test/support/index.ts';

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

/** Starts `tabdock ARGS`, sends SIGINT once stdout shows `ready`, and collects the outcome. */
function interruptWhenReady(args: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit after SIGINT: ${stdout} ${stderr}`));
    }, 90_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes('ready')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('Ctrl-C in tabdock', () => {
  it('run (attached, no -t) sends SIGINT to the container and returns its exit status', async () => {
    const r = await interruptWhenReady(['run', '--rm', IMG, 'sh', '-c', 'trap "echo got INT; exit 5" INT; echo ready; while true; do sleep 0.2; done']);
    expect(r, r.stderr).toMatchObject({ code: 5, stdout: 'ready\ngot INT\n' });
  }, 120_000);

  it('logs -f ends with 130 and leaves the container running', async () => {
    const d = await cli.run('run', '-d', '--name', 'talker', IMG, 'sh', '-c', 'echo ready; sleep 300');
    expect(d.code, d.stderr).toBe(0);
    const r = await interruptWhenReady(['logs', '-f', 'talker']);
    expect(r, r.stderr).toMatchObject({ code: 130, stdout: 'ready\n' });
    expect((await cli.run('ps', '-q')).stdout).toBe(`${d.stdout.trim().slice(0, 12)}\n`);
    expect((await cli.run('rm', '-f', 'talker')).code).toBe(0);
  }, 120_000);
});
