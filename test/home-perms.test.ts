// Hardening: $TABDOCK_HOME is private. Container records hold `-e` secrets and logs hold
// what containers printed: the home is 0700, what is written in it 0600, the daemon's
// socket 0600 whatever the umask; a home others can write to is refused.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { busyboxCli, runCli, type CliHome, type TestRegistry } from './support/index.ts';

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

const mode = (p: string) => statSync(p).mode & 0o777;

/** Every file and directory under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

it('keeps the home, its files and the socket to this user', async () => {
  const made = await cli.run('create', '-e', 'SECRET=hunter2', IMG);
  expect(made.code, made.stderr).toBe(0);
  expect(mode(cli.home)).toBe(0o700);
  expect(mode(join(cli.home, 'tabdock.sock'))).toBe(0o600);
  const meta = walk(join(cli.home, 'meta'));
  expect(meta.length).toBeGreaterThan(0);
  for (const p of meta) expect([p, mode(p)]).toEqual([p, statSync(p).isDirectory() ? 0o700 : 0o600]);
  await cli.run('rm', made.stdout.trim());
}, 120_000);

it('narrows a home of ours that others can read, and refuses one others can write to', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tabdock-home-perm-'));
  try {
    const env = { TABDOCK_HOME: home, TABDOCK_DAEMON: 'off', TABDOCK_GUEST: 'off' };
    chmodSync(home, 0o755);
    expect((await runCli(['images'], env)).code).toBe(0);
    expect(mode(home)).toBe(0o700);
    chmodSync(home, 0o777);
    const r = await runCli(['images'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${home} (TABDOCK_HOME) can be written by other users (mode 777); refusing to use it`);
    expect(mode(home)).toBe(0o777);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 120_000);
