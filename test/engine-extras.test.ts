// `diff`, `cp`, `history`, `image prune` and `container prune` end to end, as a user types
// them: a real registry, our store and 9P server, the committed guest in v86, crun inside.
import { chmodSync, chownSync, cpSync, lstatSync, mkdtempSync, mkdirSync, readlinkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { packTar, unpackTar } from 'modern-tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './support/cli.ts';
import { busyboxCli, fixtureLayout, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let host: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
  host = mkdtempSync(join(tmpdir(), 'tabdock-cp-'));
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  if (host) rmSync(host, { recursive: true, force: true });
});

async function ok(...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('tabdock diff', () => {
  it('lists what a container added, changed and deleted, stopped or running', async () => {
    await ok('run', '--name', 'changer', IMG, 'sh', '-c', 'echo hi > /tmp/new; echo x >> /etc/passwd; rm /etc/group; mkdir -p /root/d/e');
    const lines = (await ok('diff', 'changer')).trim().split('\n');
    for (const l of ['C /etc', 'C /etc/passwd', 'D /etc/group', 'C /tmp', 'A /tmp/new', 'C /root', 'A /root/d', 'A /root/d/e']) expect(lines).toContain(l);
    const paths = lines.map((l) => l.slice(2));
    expect([...paths].sort()).toEqual(paths); // by path, as Docker lists them
    // The runtime's mountpoints are Docker's init layer, never in the diff.
    expect(lines.filter((l) => /^A \/(dev|proc|sys)$/.test(l))).toEqual([]);
    const running = await ok('run', '-d', '--name', 'live-diff', IMG, 'sh', '-c', 'echo y > /made; sleep 300');
    await eventually(async () => (await cli.run('diff', 'live-diff')).stdout, (s) => s.includes('A /made'));
    expect((await ok('diff', 'live-diff')).split('\n')).toContain('A /made');
    await ok('rm', '-f', running.trim());
    const missing = await cli.run('diff', 'no-such-container');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No such container');
  }, 180_000);
});

describe('tabdock cp', () => {
  it('copies a file and a directory out of a stopped container', async () => {
    await ok('run', '--name', 'source', IMG, 'sh', '-c', 'mkdir -p /data/sub; echo one > /data/a; echo two > /data/sub/b; chmod 640 /data/a; ln -s a /data/link');
    await ok('cp', 'source:/data/a', join(host, 'a.txt'));
    expect(readFileSync(join(host, 'a.txt'), 'utf8')).toBe('one\n');
    expect(statSync(join(host, 'a.txt')).mode & 0o777).toBe(0o640);
    // Into an existing directory: under the source's name.
    mkdirSync(join(host, 'into'));
    await ok('cp', 'source:/etc/passwd', join(host, 'into'));
    expect(readFileSync(join(host, 'into', 'passwd'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/sh\n');
    // A directory, recursively, to a new path; then its contents into an existing one (SRC/.).
    await ok('cp', 'source:/data', join(host, 'data'));
    expect(readFileSync(join(host, 'data', 'sub', 'b'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(host, 'data', 'link'), 'utf8')).toBe('one\n');
    await ok('cp', 'source:/data/.', join(host, 'into'));
    expect(readFileSync(join(host, 'into', 'sub', 'b'), 'utf8')).toBe('two\n');
    // A link is copied as a link; -L copies what it names.
    await ok('cp', 'source:/data/link', join(host, 'l'));
    expect(readlinkSync(join(host, 'l'))).toBe('a');
    await ok('cp', '-L', 'source:/data/link', join(host, 'followed'));
    expect(lstatSync(join(host, 'followed')).isFile()).toBe(true);
    expect(readFileSync(join(host, 'followed'), 'utf8')).toBe('one\n');
    // `-`: a tar on stdout, named under the source's base name.
    const tar = await cli.run('cp', 'source:/data', '-');
    expect(tar.code, tar.stderr).toBe(0);
    const entries = await unpackTar(new TextEncoder().encode(tar.stdout));
    expect(entries.map((e) => e.header.name).sort()).toEqual(['data/', 'data/a', 'data/link', 'data/sub/', 'data/sub/b']);
    expect(new TextDecoder().decode(entries.find((e) => e.header.name === 'data/sub/b')!.data)).toBe('two\n');
    const missing = await cli.run('cp', 'source:/nope', host);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Could not find the file /nope in container source');
  }, 180_000);

  it('copies a file and a directory into a running container, which sees them (owned by root)', async () => {
    await ok('run', '-d', '--name', 'target', IMG, 'sleep', '300');
    writeFileSync(join(host, 'hello.txt'), 'hello from the host\n');
    chmodSync(join(host, 'hello.txt'), 0o640);
    if (process.getuid?.() === 0) chownSync(join(host, 'hello.txt'), 1234, 1235);
    await ok('cp', join(host, 'hello.txt'), 'target:/tmp/');
    expect(await ok('exec', 'target', 'cat', '/tmp/hello.txt')).toBe('hello from the host\n');
    // Owned by the container's root; with -a the host's uid/gid are kept.
    expect(await ok('exec', 'target', 'ls', '-ln', '/tmp/hello.txt')).toMatch(/^-rw-r-----\s+1 0\s+0\s+20 /);
    await ok('cp', '-a', join(host, 'hello.txt'), 'target:/tmp/kept');
    const uid = process.getuid?.() === 0 ? '1234\\s+1235' : `${process.getuid?.()}\\s+${process.getgid?.()}`;
    expect(await ok('exec', 'target', 'ls', '-ln', '/tmp/kept')).toMatch(new RegExp(`^-rw-r-----\\s+1 ${uid}\\s+20 `));
    // Over an existing file, and a new name.
    writeFileSync(join(host, 'hello.txt'), 'v2\n');
    await ok('cp', join(host, 'hello.txt'), 'target:/tmp/hello.txt');
    await ok('cp', join(host, 'hello.txt'), 'target:/renamed');
    expect(await ok('exec', 'target', 'cat', '/tmp/hello.txt', '/renamed')).toBe('v2\nv2\n');
    mkdirSync(join(host, 'tree', 'deep'), { recursive: true });
    writeFileSync(join(host, 'tree', 'deep', 'f'), 'deep\n');
    await ok('cp', join(host, 'tree'), 'target:/root');
    expect(await ok('exec', 'target', 'cat', '/root/tree/deep/f')).toBe('deep\n');
    expect((await ok('diff', 'target')).split('\n')).toEqual(expect.arrayContaining(['A /tmp/hello.txt', 'A /renamed', 'A /root/tree/deep/f']));
    // A destination that is a link to a directory is that directory.
    await ok('exec', 'target', 'busybox', 'ln', '-s', '/root/tree', '/treelink');
    await ok('cp', join(host, 'hello.txt'), 'target:/treelink');
    expect(await ok('exec', 'target', 'cat', '/root/tree/hello.txt')).toBe('v2\n');
    // `-`: a tar on stdin, extracted into a directory (parents made as needed).
    const archive = await packTar([
      { header: { name: 'from-tar/', type: 'directory', size: 0, mode: 0o750 } },
      { header: { name: 'from-tar/x', type: 'file', size: 4, mode: 0o600 }, body: 'tar\n' },
      { header: { name: 'loose/dir/y', type: 'file', size: 2, mode: 0o644 }, body: 'y\n' },
    ]);
    const tmpMode = async () => (await ok('exec', 'target', 'ls', '-ld', '/tmp')).split(/\s+/)[0];
    const before = await tmpMode();
    const piped = await runWithStdin(['cp', '-', 'target:/tmp'], archive);
    expect(piped.code, piped.stderr).toBe(0);
    expect(await ok('exec', 'target', 'cat', '/tmp/from-tar/x', '/tmp/loose/dir/y')).toBe('tar\ny\n');
    expect(await tmpMode()).toBe(before); // the directory merged into keeps its mode
    const noDir = await cli.run('cp', join(host, 'hello.txt'), 'target:/no/such/');
    // A sentence and exit 1 (not a crash, not the CLI timing out).
    expect(noDir).toEqual({ code: 1, stdout: '', stderr: 'no such directory: /no/such/\n' });
    await ok('rm', '-f', 'target');
  }, 180_000);
});

describe("a container's writes held in the guest's page cache (the trees are mounted cache=loose)", () => {
  it('cp and export see what a running container wrote and never synced; what an exited one wrote survives a daemon restart', async () => {
    await ok('run', '-d', '--name', 'unsynced', IMG, 'sh', '-c', 'seq 1 20000 > /big; echo done > /small; sleep 300');
    await eventually(async () => (await cli.run('cp', 'unsynced:/small', join(host, 'small'))).code, (c) => c === 0);
    const want = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');
    await ok('cp', 'unsynced:/big', join(host, 'big'));
    expect(readFileSync(join(host, 'big'), 'utf8')).toBe(want);
    await ok('export', '-o', join(host, 'unsynced.tar'), 'unsynced');
    const entries = await unpackTar(new Uint8Array(readFileSync(join(host, 'unsynced.tar'))));
    expect(entries.find((e) => e.header.name.replace(/^\.?\//, '') === 'big')?.header.size).toBe(want.length);
    await ok('rm', '-f', 'unsynced');
    // Exits without a sync: its exit is reported once the guest wrote back and the store saved.
    await ok('run', '--name', 'exited', IMG, 'sh', '-c', 'seq 1 5000 > /kept');
    await ok('daemon', 'stop');
    await ok('cp', 'exited:/kept', join(host, 'kept'));
    expect(readFileSync(join(host, 'kept'), 'utf8')).toBe(Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join(''));
    await ok('rm', 'exited');
  }, 240_000);
});

describe('tabdock history', () => {
  it("prints the image config's steps, newest first, with layer sizes", async () => {
    const id = JSON.parse(await ok('image', 'inspect', IMG))[0].Id as string;
    const out = await ok('history', IMG);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    // The empty COMMENT is the last cell: SIZE keeps its padding before it, as in docker
    // (the last line's is gone with trimEnd).
    expect(lines[1]).toMatch(new RegExp(`^${id.slice(7, 19)}\\s+.+ ago\\s+umoci config\\s+0B {3,}$`));
    expect(lines[2]).toMatch(/^<missing>\s+.+ ago\s+umoci repack\s+\d+(\.\d+)?MB$/);
    expect(lines).toHaveLength(3);
    expect(await ok('history', '-q', IMG)).toBe(`${id.slice(7, 19)}\n<missing>\n`);
    expect(await ok('history', '-q', '--no-trunc', IMG)).toBe(`${id}\n<missing>\n`);
    const raw = (await ok('history', '-H=false', IMG)).trimEnd().split('\n');
    expect(raw[1]).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+umoci config\s+0 {3,}$/);
    expect(raw[2]).toMatch(/umoci repack\s+\d{6,}$/);
  }, 120_000);
});

describe('tabdock history of a Docker-built image', () => {
  it("prints CREATED BY as the config has it, cut to 45 characters with an ellipsis unless --no-trunc; empty steps are 0B", async () => {
    // The busybox fixture with two steps as Docker's classic builder writes them (umoci config adds empty_layer steps).
    const layout = join(host, 'layout');
    cpSync((await fixtureLayout('busybox')).replace(/^oci:|:latest$/g, ''), layout, { recursive: true });
    const add = '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef0123456789abcdef in / ';
    const cmd = '/bin/sh -c #(nop)  CMD ["sh"]';
    execFileSync('umoci', ['config', '--image', `${layout}:latest`, '--tag', 'd1', '--history.created_by', add, '--history.created', '2026-01-01T00:00:00Z', '--history.comment', 'a comment']);
    execFileSync('umoci', ['config', '--image', `${layout}:d1`, '--tag', 'docker', '--history.created_by', cmd, '--history.created', '2026-01-02T00:00:00Z', '--config.cmd', 'sh']);
    await reg.push(`oci:${layout}:docker`, 'dockerish:1');
    await ok('pull', `${reg.host}/dockerish:1`);
    const rows = (await ok('history', `${reg.host}/dockerish:1`)).trimEnd().split('\n');
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatch(/^[0-9a-f]{12} +\S.* ago +\/bin\/sh -c #\(nop\)  CMD \["sh"\] +0B +$/); // the empty COMMENT keeps SIZE's padding
    expect(rows[2]).toMatch(/^<missing> +\S.* ago +\/bin\/sh -c #\(nop\) ADD file:0123456789abcdef0… +0B +a comment$/);
    expect(rows[2]).toContain(`${add.slice(0, 44)}…`);
    expect(rows[3]).toMatch(/<missing> +.* ago +umoci config +0B +$/);
    const full = await ok('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.CreatedAt}}|{{.Size}}|{{.Comment}}', '-H=false', `${reg.host}/dockerish:1`);
    expect(full.split('\n').slice(0, 2)).toEqual([`${cmd}|2026-01-02T00:00:00Z|0|`, `${add}|2026-01-01T00:00:00Z|0|a comment`]);
  }, 120_000);
});

describe('tabdock image prune / container prune', () => {
  it('removes an untagged image and keeps one a container uses', async () => {
    // `other` first names the whiteouts image; re-pointed at busybox, it leaves that image untagged.
    await reg.push('whiteouts', 'other:latest');
    await ok('pull', `${reg.host}/other`);
    const old = JSON.parse(await ok('image', 'inspect', `${reg.host}/other`))[0].Id as string;
    await reg.push('busybox', 'other:latest');
    await ok('pull', `${reg.host}/other`);
    expect(await ok('images', '-q', '--no-trunc')).toContain(old);

    const notty = await cli.run('image', 'prune');
    expect(notty.code).toBe(1);
    expect(notty.stderr).toContain('-f');

    const out = await ok('image', 'prune', '-f');
    expect(out).toMatch(new RegExp(`^Deleted Images:\\nuntagged: ${reg.host.replace(/[.]/g, '\\.')}/other@sha256:[0-9a-f]{64}\\ndeleted: ${old}\\n(deleted: sha256:[0-9a-f]{64}\\n)*\\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]?B\\n$`));
    expect(await ok('images', '-q', '--no-trunc')).not.toContain(old);
    expect(await ok('image', 'prune', '-f')).toBe('Total reclaimed space: 0B\n');

    // -a: every image without a container goes, tagged or not; the one a container uses stays.
    await reg.push('whiteouts', 'third:latest');
    await ok('pull', `${reg.host}/third`);
    const third = JSON.parse(await ok('image', 'inspect', `${reg.host}/third`))[0].Id as string;
    const c = (await ok('create', IMG, 'true')).trim();
    const pruned = await ok('image', 'prune', '-a', '-f');
    expect(pruned).toContain(`untagged: ${reg.host}/third:latest\n`);
    expect(pruned).toContain(`deleted: ${third}\n`);
    expect(pruned).not.toContain('busybox');
    expect((await cli.run('image', 'inspect', IMG)).code).toBe(0);
    await ok('rm', c);
  }, 240_000);

  it('removes stopped containers and leaves running ones', async () => {
    const a = (await ok('run', '-d', IMG, 'sh', '-c', 'echo data > /file')).trim();
    const b = (await ok('create', IMG, 'true')).trim();
    const live = (await ok('run', '-d', IMG, 'sleep', '300')).trim();
    expect(await ok('wait', a)).toBe('0\n');
    const notty = await cli.run('container', 'prune');
    expect(notty.code).toBe(1);
    const out = await ok('container', 'prune', '-f');
    expect(out).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \d+(\.\d+)?[kM]?B\n$/);
    expect(out).toContain(`${a}\n`);
    expect(out).toContain(`${b}\n`);
    expect(out).not.toContain(live);
    const left = (await ok('ps', '-a', '-q', '--no-trunc')).split('\n');
    expect(left).toContain(live);
    expect(left).not.toContain(a);
    expect(left).not.toContain(b);
    expect(await ok('ps', '-a')).not.toMatch(/Exited|Created/);
    await ok('rm', '-f', live);
  }, 240_000);
});

function runWithStdin(args: string[], input: Uint8Array): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...cli.env }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    child.stdin.end(input);
  });
}

async function eventually<T>(get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}
