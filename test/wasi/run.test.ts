// WebAssembly (wasi/wasm) images through the real CLI and daemon, against a real registry:
// C programs compiled here with Debian's clang + wasi-libc, packed in every image form,
// pushed, pulled and run. The daemon runs with TABDOCK_GUEST=off: a Linux image fails to
// start, so every WASI run below is proof that no guest was booted for it.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliHome, startRegistry, type CliHome, type CliResult, type TestRegistry } from '../support/index.ts';
import { pushWasiImage } from '../support/wasi.ts';

let reg: TestRegistry;
let cli: CliHome;
const img: Record<string, string> = {};

beforeAll(async () => {
  reg = await startRegistry();
  const push = async (key: string, name: string, form: Parameters<typeof pushWasiImage>[2], opts: Parameters<typeof pushWasiImage>[4] = {}) => {
    img[key] = await pushWasiImage(reg, name, form, `${key}:1`, opts);
  };
  await Promise.all([
    push('hello', 'hello', 'tar'),
    push('hello-artifact', 'hello', 'artifact'),
    push('hello-wasm-to-oci', 'hello', 'wasm-to-oci'),
    push('hello-index', 'hello', 'index'),
    push('hello-only', 'hello', 'index-only'),
    push('hello-p1', 'hello', 'tar', { os: 'wasip1' }),
    push('echo', 'echo', 'tar', { config: { Entrypoint: ['/echo.wasm'], Cmd: ['from-cmd'], Env: ['FROM_IMAGE=yes', 'OVERRIDE=image'], WorkingDir: '/srv' } }),
    push('writer', 'writer', 'tar'),
    push('upper', 'upper', 'artifact'),
    push('exit42', 'exit42', 'tar'),
    push('trap', 'trap', 'tar'),
    push('ticker', 'ticker', 'tar'),
    push('memhog', 'memhog', 'tar'),
    push('fsinfo', 'fsinfo', 'tar'),
  ]);
  await reg.push('busybox', 'busybox:1');
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_GUEST: 'off', TABDOCK_DAEMON_IDLE_SECONDS: '120' });
}, 240_000);

afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

/** The CLI with bytes on its stdin (closed after them). */
function runWithInput(input: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...cli.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input);
  });
}

const inspect = async (ref: string) => JSON.parse((await cli.run('inspect', ref)).stdout)[0] as Record<string, any>;

describe('running wasi/wasm images', () => {
  it('runs a WASI image with --platform wasi/wasm: its output and exit code, no guest', async () => {
    const r = await cli.run('run', '--rm', '--platform', 'wasi/wasm', img['hello']!);
    expect(r.stderr).toContain('Pull complete');
    expect(r.stdout).toBe('hello from wasi\n');
    expect(r.code).toBe(0);
    // This daemon cannot boot the guest at all: a Linux image says so.
    const linux = await cli.run('run', '--rm', `${reg.host}/busybox:1`, 'true');
    expect(linux.code).toBe(125);
    expect(linux.stderr).toContain('the Linux guest is turned off');
  });

  it('runs both WebAssembly artifact forms (raw module layer)', async () => {
    for (const key of ['hello-artifact', 'hello-wasm-to-oci']) {
      const r = await cli.run('run', '--rm', img[key]!);
      expect(r.stdout, r.stderr).toBe('hello from wasi\n');
      expect(r.code).toBe(0);
      const image = JSON.parse((await cli.run('image', 'inspect', img[key]!)).stdout)[0];
      expect(image.Architecture).toBe('wasm');
      expect(image.Config.Entrypoint).toEqual(['/hello.wasm']);
    }
  });

  it('picks wasi/wasm from an index with --platform, by itself when it is the only platform, and from a single wasip1 manifest', async () => {
    // Without --platform, an index of linux/amd64 and wasi/wasm gives its amd64 image (run
    // through QEMU, issue 16); --platform wasi/wasm then pulls the module, as Docker pulls
    // the asked platform when the local image is another.
    const without = await cli.run('pull', img['hello-index']!);
    expect(without.code, without.stderr).toBe(0);
    expect((await cli.run('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', img['hello-index']!)).stdout).toBe('linux/amd64\n');
    const picked = await cli.run('run', '--rm', '--platform', 'wasi/wasm', img['hello-index']!);
    expect(picked.stdout, picked.stderr).toBe('hello from wasi\n');
    for (const key of ['hello-only', 'hello-p1']) {
      const r = await cli.run('run', '--rm', img[key]!);
      expect(r.stdout, r.stderr).toBe('hello from wasi\n');
    }
    expect((await cli.run('image', 'inspect', '--format', '{{.Os}}', img['hello-only']!)).stdout.trim()).toBe('wasip1');
  });

  it('gives args from Entrypoint/Cmd, Env merged as for Linux images, -w as PWD', async () => {
    const byImage = await cli.run('run', '--rm', img['echo']!);
    expect(byImage.stdout).toContain('arg[0]=/echo.wasm\narg[1]=from-cmd\n');
    expect(byImage.stdout).toContain('env:PWD=/srv\n');
    const r = await cli.run('run', '--rm', '-e', 'OVERRIDE=cli', '-e', 'NEW=1', '-w', '/work', '--hostname', 'wasm-box', img['echo']!, 'x', 'y z', 'héllo ✓');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('arg'))).toEqual(['arg[0]=/echo.wasm', 'arg[1]=x', 'arg[2]=y z', 'arg[3]=héllo ✓']);
    const env = r.stdout.split('\n').filter((l) => l.startsWith('env:')).map((l) => l.slice(4));
    expect(env).toEqual(expect.arrayContaining([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=wasm-box', 'OVERRIDE=cli', 'NEW=1', 'FROM_IMAGE=yes', 'HOME=/', 'PWD=/work',
    ]));
    expect(env).not.toContain('OVERRIDE=image');
  });

  it('keeps what a run wrote in the container: a second run of it sees the first one\'s file', async () => {
    const first = await cli.run('run', '--name', 'writer1', img['writer']!, 'first');
    expect(first.stdout, first.stderr).toBe('line from first\nstate.txt 11 bytes\n');
    const again = await cli.run('start', '-a', 'writer1');
    expect(again.stdout).toBe('line from first\nline from first\nstate.txt 11 bytes\n');
    const diff = await cli.run('diff', 'writer1');
    expect(diff.stdout).toBe('A /data\nA /data/log.txt\nA /data/state.txt\n');
    const logs = await cli.run('logs', 'writer1');
    expect(logs.stdout).toBe('line from first\nstate.txt 11 bytes\nline from first\nline from first\nstate.txt 11 bytes\n');
    const c = await inspect('writer1');
    expect(c['Driver']).toBe('tabdock-wasi');
    expect(c['Platform']).toBe('wasi');
    expect(c['State'].ExitCode).toBe(0);
    // Another container of the image starts from the image alone.
    const other = await cli.run('run', '--rm', img['writer']!, 'other');
    expect(other.stdout).toBe('line from other\nstate.txt 11 bytes\n');
    expect((await cli.run('rm', 'writer1')).code).toBe(0);
  });

  it('reads stdin with -i', async () => {
    const r = await runWithInput('hello stdin\nsecond line\n', 'run', '--rm', '-i', img['upper']!);
    expect(r.stdout, r.stderr).toBe('HELLO STDIN\nSECOND LINE\n[24 bytes]\n');
    const none = await cli.run('run', '--rm', img['upper']!);
    expect(none.stdout).toBe('[0 bytes]\n');
  });

  it('returns the exit code (42), and a trap as 137 with the reason', async () => {
    const r = await cli.run('run', '--name', 'e42', img['exit42']!);
    expect(r.code).toBe(42);
    expect(r.stderr).toContain('exiting with 42\n');
    expect((await inspect('e42'))['State'].ExitCode).toBe(42);
    const t = await cli.run('run', '--name', 'trapper', img['trap']!);
    expect(t.stdout).toBe('about to trap\n');
    expect(t.stderr).toContain('tabdock: wasm trap: unreachable');
    expect(t.code).toBe(137);
    const s = (await inspect('trapper'))['State'];
    expect(s.ExitCode).toBe(137);
    expect(s.Error).toContain('wasm trap: unreachable');
    await cli.run('rm', 'e42', 'trapper');
  });

  it('-d, logs, ps, stop (143) and kill (137) a long-running module', async () => {
    const d = await cli.run('run', '-d', '--name', 'ticker', img['ticker']!);
    expect(d.code, d.stderr).toBe(0);
    await expect.poll(async () => (await cli.run('logs', 'ticker')).stdout, { timeout: 60_000, interval: 200 }).toMatch(/^tick 0\ntick 1\n/);
    expect((await cli.run('ps')).stdout).toContain('ticker');
    const t0 = Date.now();
    expect((await cli.run('stop', 'ticker')).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(9000); // ended at once, not after stop's 10 s (room for a loaded machine)
    expect((await inspect('ticker'))['State']).toMatchObject({ Status: 'exited', ExitCode: 143 });
    expect((await cli.run('ps')).stdout).not.toContain('ticker');
    expect((await cli.run('start', 'ticker')).code).toBe(0);
    expect((await cli.run('kill', 'ticker')).code).toBe(0);
    expect((await cli.run('wait', 'ticker')).stdout.trim()).toBe('137');
    expect((await cli.run('rm', 'ticker')).code).toBe(0);
  });

  it('-t makes stdout a terminal (CRLF), --memory stops a module that grows past it', async () => {
    const t = await cli.run('run', '--rm', '-t', img['hello']!);
    expect(t.stdout).toBe('hello from wasi\r\n');
    const m = await cli.run('run', '--name', 'hog', '--memory', '32m', img['memhog']!, '100');
    expect(m.code).toBe(137);
    expect(m.stdout).toContain('10 MiB\n');
    expect(m.stdout).not.toContain('done');
    expect((await inspect('hog'))['State'].OOMKilled).toBe(true);
    const fits = await cli.run('run', '--rm', '--memory', '64m', img['memhog']!, '8');
    expect(fits.stdout).toContain('done (');
    await cli.run('rm', 'hog');
  });

  it('--read-only: writes fail with EROFS', async () => {
    const r = await cli.run('run', '--rm', '--read-only', img['writer']!);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Read-only file system');
  });

  it('shows the module the container tree: image files and what runs wrote, with sizes and times', async () => {
    const r = await cli.run('run', '--rm', img['fsinfo']!, '/', '/fsinfo.wasm');
    expect(r.stdout, r.stderr).toMatch(/^fsinfo\.wasm file \d+\n/m);
    expect(r.stdout).toMatch(/stat \/fsinfo\.wasm size=\d+ nlink=1 mtime_after_2000=0\n/);
  });

  it('refuses flags that cannot apply, and a missing module, with Docker\'s codes', async () => {
    const cap = await cli.run('run', '--rm', '--cap-add', 'NET_ADMIN', img['hello']!);
    expect(cap.code).toBe(125);
    expect(cap.stderr).toContain('--cap-add does not apply to WebAssembly (wasi/wasm) containers');
    const mem = await cli.run('run', '--rm', '--memory', '5g', img['hello']!);
    expect(mem.code).toBe(125);
    expect(mem.stderr).toContain('a wasm32 module can address 4 GiB at most');
    const missing = await cli.run('run', '--rm', '--entrypoint', '/nope.wasm', img['hello']!);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('/nope.wasm');
  });
});
