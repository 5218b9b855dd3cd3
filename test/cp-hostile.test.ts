// Hardening: `docker cp` out of a container never writes, chmods or touches outside its
// destination through a link a container put there. A first copy brings a symlink to a
// host path into the destination; a second copy (of a container that has a file or a
// directory at that name) must replace the link, as moby's Untar does, and never follow it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, lstatSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let dir: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
  dir = mkdtempSync(join(tmpdir(), 'tabdock-cp-hostile-'));
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A stopped container whose /out was made by `script`. */
async function container(name: string, script: string): Promise<void> {
  const r = await cli.run('run', '--name', name, IMG, 'sh', '-c', `mkdir -p /out && cd /out && ${script}`);
  expect(r.code, r.stderr).toBe(0);
}

it('a second copy replaces the links a first one brought, and writes nothing through them', async () => {
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  chmodSync(victim, 0o640);
  utimesSync(victim, 1_000_000, 1_000_000);
  const victimDir = join(dir, 'victim-dir');
  mkdirSync(victimDir);
  const dest = join(dir, 'dest');
  mkdirSync(dest);

  await container('links', `ln -s ${victim} file && ln -s ${victimDir} sub`);
  expect((await cli.run('cp', 'links:/out/.', dest)).code).toBe(0);
  expect(readlinkSync(join(dest, 'file'))).toBe(victim);
  expect(readlinkSync(join(dest, 'sub'))).toBe(victimDir);

  await container('files', 'echo pwned > file && chmod 777 file && touch -d "2001-01-01 00:00:00" file && mkdir sub && echo in > sub/planted');
  const second = await cli.run('cp', 'files:/out/.', dest);
  expect(second.code, second.stderr).toBe(0);

  // Nothing reached the link targets: content, mode and time of the victim are as they were.
  expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(statSync(victim).mode & 0o777).toBe(0o640);
  expect(statSync(victim).mtimeMs).toBe(1_000_000_000);
  expect(readdirSync(victimDir)).toEqual([]);
  // The links were replaced by what the container has.
  expect(lstatSync(join(dest, 'file')).isFile()).toBe(true);
  expect(readFileSync(join(dest, 'file'), 'utf8')).toBe('pwned\n');
  expect(lstatSync(join(dest, 'file')).mode & 0o777).toBe(0o777);
  expect(lstatSync(join(dest, 'sub')).isDirectory()).toBe(true);
  expect(readFileSync(join(dest, 'sub', 'planted'), 'utf8')).toBe('in\n');
}, 240_000);
