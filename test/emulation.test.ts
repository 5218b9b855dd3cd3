// Other architectures through QEMU user-mode emulation in the guest (issue 16), end to end
// through the real `tabdock`, a real registry on loopback and the committed guest. The
// images hold Debian's real amd64, arm64 and armhf binaries (busybox-static, and glibc +
// coreutils for the dynamically linked case); the emulators are the committed ones
// (kernel/build-qemu.sh). One daemon serves the whole file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCliWithInput, startRegistry, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
const img = (name: string) => `${reg.host}/${name}:1`;
const WARN = (p: string) => `WARNING: The requested image's platform (${p}) does not match the detected host platform (linux/386) and no specific platform was requested\n`;

beforeAll(async () => {
  reg = await startRegistry();
  await Promise.all([
    reg.push('busybox-amd64', 'bb-amd64:1'),
    reg.push('busybox-arm64', 'bb-arm64:1'),
    reg.push('busybox-armv7', 'bb-armv7:1'),
    reg.push('foreign-multi', 'foreign:1', { all: true }),
    reg.push('amd64-dynamic', 'dyn:1'),
    reg.push('unemulated', 'unemulated:1', { all: true }),
  ]);
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120' });
}, 600_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

/** `tabdock ARGS` with `input` on its stdin (then closed). */
const runWithInput = (args: string[], input: string) => runCliWithInput(args, cli.env, input);

describe('foreign platforms run under QEMU in the guest', () => {
  it('amd64: echo, uname -m, a shell loop and exit codes, with Docker\'s platform warning', async () => {
    const r = await cli.run('run', '--rm', img('bb-amd64'), 'sh', '-c', 'echo hello; uname -m; i=0; while [ $i -lt 200 ]; do i=$((i+1)); done; echo $i; cat /etc/tabdock-platform');
    expect(r.stdout).toBe('hello\nx86_64\n200\nlinux/amd64\n');
    expect(r.stderr).toContain(WARN('linux/amd64'));
    expect(r.code).toBe(0);
    const exit = await cli.run('run', '--rm', img('bb-amd64'), 'sh', '-c', 'exit 7');
    expect(exit.code).toBe(7);
  }, 300_000);

  it('arm64 and arm/v7 see their own machine; --platform asked for gives no warning', async () => {
    const a = await cli.run('run', '--rm', img('bb-arm64'), 'uname', '-m');
    expect(a).toMatchObject({ code: 0, stdout: 'aarch64\n' });
    expect(a.stderr).toContain(WARN('linux/arm64'));
    const v7 = await cli.run('run', '--rm', '--platform', 'linux/arm/v7', img('bb-armv7'), 'uname', '-m');
    expect(v7.code, v7.stderr).toBe(0);
    expect(v7.stdout).toMatch(/^armv7l\n$/);
    expect(v7.stderr).not.toContain('WARNING');
  }, 300_000);

  it('an index with no linux/386 gives its amd64 variant without --platform, and the asked-for one with it', async () => {
    const r = await cli.run('run', '--rm', img('foreign'), 'cat', '/etc/tabdock-platform');
    expect(r).toMatchObject({ code: 0, stdout: 'linux/amd64\n' });
    const arm = await cli.run('run', '--rm', '--platform', 'linux/arm64', img('foreign'), 'cat', '/etc/tabdock-platform');
    expect(arm.code, arm.stderr).toBe(0);
    expect(arm.stdout).toBe('linux/arm64/v8\n');
    // inspect shows the image's own architecture
    const arch = await cli.run('image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', img('foreign'));
    expect(arch.stdout).toBe('linux/arm64\n');
  }, 300_000);

  it('a dynamically linked amd64 program runs on the image\'s glibc', async () => {
    const r = await cli.run('run', '--rm', img('dyn'), '/usr/local/bin/uname', '-m');
    expect(r).toMatchObject({ code: 0, stdout: 'x86_64\n' });
    const f = await cli.run('run', '--rm', img('dyn'), '/usr/local/bin/false');
    expect(f.code).toBe(1);
  }, 300_000);

  it('-i: a shell reads its commands from stdin', async () => {
    const r = await runWithInput(['run', '--rm', '-i', img('bb-amd64'), 'sh'], 'echo from-stdin; uname -m; exit 3\n');
    expect(r.stdout).toBe('from-stdin\nx86_64\n');
    expect(r.code).toBe(3);
  }, 300_000);

  it('exec in a running emulated container; ps and inspect say what it runs', async () => {
    const d = await cli.run('run', '-d', '--name', 'emu1', img('bb-arm64'), 'sleep', '300');
    expect(d.code, d.stderr).toBe(0);
    try {
      const e = await cli.run('exec', 'emu1', 'uname', '-m');
      expect(e).toMatchObject({ code: 0, stdout: 'aarch64\n' });
      const ps = await cli.run('ps', '--format', '{{.Names}} {{.Status}}');
      expect(ps.stdout, ps.stderr).toMatch(/^emu1 Up .* \(emulated linux\/arm64\)$/m);
      const plat = await cli.run('inspect', '-f', '{{.Platform}}', 'emu1');
      expect(plat.stdout).toBe('linux\n');
    } finally {
      await cli.run('rm', '-f', 'emu1');
    }
  }, 300_000);

  it('refuses a platform it cannot emulate, with the list the image has', async () => {
    const r = await cli.run('run', '--rm', img('unemulated'), 'true');
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('no matching manifest for linux/386');
    expect(r.stderr).toContain('it has linux/s390x, linux/ppc64le.');
    const asked = await cli.run('run', '--rm', '--platform', 'linux/s390x', img('unemulated'), 'true');
    expect(asked.code).toBe(125);
    expect(asked.stderr).toContain('image platform linux/s390x cannot run here');
  }, 300_000);

  it('build: --platform and FROM --platform run RUN steps under QEMU; the image is the platform asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabdock-emu-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), [
        `FROM --platform=linux/amd64 ${img('bb-amd64')} AS a`, 'RUN uname -m > /arch',
        `FROM ${img('bb-arm64')}`, 'COPY --from=a /arch /amd64-arch', 'RUN uname -m > /arch', 'CMD cat /amd64-arch /arch', '',
      ].join('\n'));
      const b = await cli.run('build', '--platform', 'linux/arm64', '-t', 'emu-built', dir);
      expect(b.code, b.stderr).toBe(0);
      const r = await cli.run('run', '--rm', 'emu-built');
      expect(r.stdout).toBe('x86_64\naarch64\n');
      const arch = await cli.run('image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', 'emu-built');
      expect(arch.stdout).toBe('linux/arm64\n');
      const bad = await cli.run('build', '--platform', 'linux/s390x', dir);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('cannot build for linux/s390x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
