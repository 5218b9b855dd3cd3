// `tabdock login` / `logout` against a real registry behind token auth: wrong credentials
// are refused, right ones are kept in $TABDOCK_HOME/config.json (Docker's format) and used
// by the daemon for a private repository, logout removes them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliHome, startRegistry, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;

beforeAll(async () => {
  reg = await startRegistry({ auth: 'token', privateRepos: ['secret'] });
  await reg.push('busybox', 'secret:1');
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
}, 120_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

it('refuses wrong credentials, keeps right ones, and the daemon pulls a private repository with them', async () => {
  const denied = await cli.run('pull', `${reg.host}/secret:1`);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('pull access denied');

  const wrong = await cli.run('login', '-u', 'tester', '-p', 'nope', reg.host);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain(`the credentials for ${reg.host} were refused`);

  const ok = await cli.run('login', '-u', 'tester', '-p', 'secret', reg.host);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stdout).toBe('Login Succeeded\n');
  const cfg = JSON.parse(readFileSync(join(cli.home, 'config.json'), 'utf8'));
  expect(cfg.auths[reg.host].auth).toBe(Buffer.from('tester:secret').toString('base64'));

  const pulled = await cli.run('pull', `${reg.host}/secret:1`);
  expect(pulled.code, pulled.stderr).toBe(0);

  expect((await cli.run('logout', reg.host)).stdout).toBe(`Removing login credentials for ${reg.host}\n`);
  expect(JSON.parse(readFileSync(join(cli.home, 'config.json'), 'utf8')).auths).toEqual({});
  expect((await cli.run('rmi', `${reg.host}/secret:1`)).code).toBe(0);
  expect((await cli.run('pull', `${reg.host}/secret:1`)).code).toBe(1);
}, 120_000);

it('login --password-stdin reads the password from stdin, as docker does', async () => {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('./support/index.ts');
  const login = (password: string) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'login', '-u', 'tester', '--password-stdin', reg.host], { env: { ...process.env, ...cli.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(password);
  });
  const wrong = await login('nope\n');
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain(`the credentials for ${reg.host} were refused`);
  // The trailing newline of `echo secret |` is not part of the password.
  expect(await login('secret\n')).toEqual({ code: 0, stdout: 'Login Succeeded\n', stderr: '' });
  expect(JSON.parse(readFileSync(join(cli.home, 'config.json'), 'utf8')).auths[reg.host].auth).toBe(Buffer.from('tester:secret').toString('base64'));
  expect((await cli.run('pull', `${reg.host}/secret:1`)).code).toBe(0);
  await cli.run('logout', reg.host);
}, 120_000);
