// `docker build` (issue 15) end to end as a user types it: a context directory, the real
// guest running RUN steps, a real registry on loopback for base images and pushes, and
// skopeo/umoci reading what was built. One daemon for the file.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { packTar } from 'modern-tar';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCliWithInput, startRegistry, stopDaemon, type CliHome, type CliResult, type TestRegistry } from './support/index.ts';
import { makeTempDir, removeTempDir, run } from './support/proc.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let tmp: string;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  IMG = `${reg.host}/busybox`;
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120' });
  const first = await cli.run('pull', IMG);
  if (first.code !== 0) throw new Error(`pull failed: ${first.stderr}`);
  tmp = makeTempDir('build');
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  if (tmp) removeTempDir(tmp);
});

/** A context directory from `path -> content` (`$IMG` is the base image). */
function context(name: string, files: Record<string, string | Uint8Array>): string {
  const dir = join(tmp, name);
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), typeof body === 'string' ? body.replaceAll('$IMG', IMG) : body);
  }
  return dir;
}

const runWithStdin = (args: string[], input: Uint8Array): Promise<CliResult> => runCliWithInput(args, cli.env, input);

/** Vertex lines of plain progress: `[2/5] COPY a.txt .` -> 'CACHED' | 'DONE' | 'ERROR'. */
function steps(stderr: string): Map<string, string> {
  const names = new Map<string, string>();
  const out = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [, id, rest] = m;
    if (!names.has(id!)) names.set(id!, rest!);
    else if (rest === 'CACHED' || rest!.startsWith('DONE') || rest!.startsWith('ERROR')) out.set(names.get(id!)!, rest!.split(' ')[0]!.replace(':', ''));
  }
  return out;
}

async function inspect(ref: string): Promise<Record<string, any>> {
  const r = await cli.run('image', 'inspect', ref);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[0];
}

describe('docker build', () => {
  let basic: string;
  let firstId: string;

  it('builds a Dockerfile with ARG, ENV, WORKDIR, COPY and RUN, with BuildKit\'s output; the image runs', async () => {
    basic = context('basic', {
      'a.txt': 'hello\n',
      'src/sub/x': 'one\n',
      'src/y': 'two\n',
      Dockerfile: 'FROM $IMG\nARG MSG=hi\nENV GREETING=$MSG\nWORKDIR /app\nCOPY a.txt .\nCOPY src/ /app/src/\nRUN echo "built $GREETING" > /built && cat /app/a.txt && ls /app/src/sub\nRUN rm /bin/sleep\nCMD ["cat", "/built"]\n',
    });
    const b = await cli.run('build', '--progress=plain', '-t', 'app:1', '-t', 'app:latest', '--build-arg', 'MSG=yo', basic);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain('#1 [internal] load build definition from Dockerfile');
    expect(b.stderr).toMatch(/#\d+ \[2\/6\] WORKDIR \/app\n/);
    expect(b.stderr).toMatch(/#\d+ \[5\/6\] RUN echo "built \$GREETING" > \/built && cat \/app\/a.txt && ls \/app\/src\/sub\n(#\d+ [\d.]+ .*\n)*#\d+ [\d.]+ hello\n#\d+ [\d.]+ x\n#\d+ DONE [\d.]+s/);
    expect(b.stderr).toMatch(/naming to docker\.io\/library\/app:1 done/);
    const r = await cli.run('run', '--rm', 'app');
    expect(r.stdout).toBe('built yo\n');
    const img = await inspect('app:1');
    firstId = img['Id'];
    expect(img['Config']['Env']).toContain('GREETING=yo');
    expect(img['Config']['WorkingDir']).toBe('/app');
    expect(img['Config']['Cmd']).toEqual(['cat', '/built']);
    // History as BuildKit writes it: each step, the config-only ones as empty layers.
    const hist = await cli.run('image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'app:1');
    const base = await inspect(IMG);
    const layers = JSON.parse(hist.stdout) as string[];
    expect(layers.slice(0, base['RootFS']['Layers'].length)).toEqual(base['RootFS']['Layers']);
    expect(layers.length).toBe(base['RootFS']['Layers'].length + 5); // WORKDIR, 2 COPY, 2 RUN
    const h = await cli.run('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'app:1');
    const lines = h.stdout.trim().split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'CMD ["cat","/built"]|buildkit.dockerfile.v0',
      'RUN |1 MSG=yo /bin/sh -c rm /bin/sleep # buildkit|buildkit.dockerfile.v0',
      'RUN |1 MSG=yo /bin/sh -c echo "built $GREETING" > /built && cat /app/a.txt && ls /app/src/sub # buildkit|buildkit.dockerfile.v0',
      'COPY src/ /app/src/ # buildkit|buildkit.dockerfile.v0',
      'COPY a.txt . # buildkit|buildkit.dockerfile.v0',
      'WORKDIR /app|buildkit.dockerfile.v0',
      'ENV GREETING=yo|buildkit.dockerfile.v0',
      'ARG MSG=yo|buildkit.dockerfile.v0',
    ]);
    // The deletion is a whiteout in its layer: the file is gone in the image.
    const vi = await cli.run('run', '--rm', 'app', 'sh', '-c', 'test -e /bin/sleep && echo there || echo gone');
    expect(vi.stdout).toBe('gone\n');
    // Build steps' images are cache, not `docker images` rows.
    const imgs = await cli.run('images', '--format', '{{.Repository}}:{{.Tag}}');
    expect(imgs.stdout.trim().split('\n').sort()).toEqual([`${IMG}:latest`, 'app:1', 'app:latest'].sort());
    // -a shows them, untagged, as Docker shows intermediate images.
    const every = await cli.run('images', '-a', '--format', '{{.Repository}}:{{.Tag}}');
    expect(every.stdout.split('\n').filter((l) => l === '<none>:<none>').length).toBe(7); // ARG, ENV, WORKDIR, 2 COPY, 2 RUN; CMD's is tagged
  }, 600_000);

  it('reuses every step from the cache, then reruns only the steps after a changed file', async () => {
    const again = await cli.run('build', '--progress=plain', '-t', 'app:2', '--build-arg', 'MSG=yo', basic);
    expect(again.code, again.stderr).toBe(0);
    const s1 = steps(again.stderr);
    for (const [name, state] of s1) if (/^\[[2-6]\/6\]/.test(name)) expect(state, name).toBe('CACHED');
    expect((await inspect('app:2'))['Id']).toBe(firstId);
    writeFileSync(join(basic, 'src', 'y'), 'three\n');
    const changed = await cli.run('build', '--progress=plain', '-t', 'app:3', '--build-arg', 'MSG=yo', basic);
    expect(changed.code, changed.stderr).toBe(0);
    const s2 = [...steps(changed.stderr)].filter(([n]) => /^\[\d/.test(n));
    expect(s2.map(([n, st]) => `${n.slice(0, 5)} ${st}`)).toEqual(['[1/6] DONE', '[2/6] CACHED', '[3/6] CACHED', '[4/6] DONE', '[5/6] DONE', '[6/6] DONE']);
    expect((await cli.run('run', '--rm', 'app:3', 'cat', '/app/src/y')).stdout).toBe('three\n');
    // A mode change counts too (the checksum has the header, as BuildKit's).
    chmodSync(join(basic, 'src', 'y'), 0o755);
    const moded = await cli.run('build', '--progress=plain', '-q', '--build-arg', 'MSG=yo', basic);
    expect(moded.code, moded.stderr).toBe(0);
    expect(moded.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await cli.run('run', '--rm', moded.stdout.trim(), 'ls', '-l', '/app/src/y')).stdout).toMatch(/^-rwxr-xr-x /);
    // --no-cache runs every step again.
    const nc = await cli.run('build', '--progress=plain', '--no-cache', '--build-arg', 'MSG=yo', basic);
    expect([...steps(nc.stderr)].filter(([n]) => /^\[[2-6]/.test(n)).every(([, st]) => st === 'DONE')).toBe(true);
  }, 600_000);

  it('multi-stage: --target, COPY --from a stage, a stage not needed is skipped; heredocs; COPY --chown/--chmod; USER', async () => {
    const dir = context('multi', {
      'app.sh': '#!/bin/sh\necho app\n',
      Dockerfile: [
        '# syntax=docker/dockerfile:1',
        'FROM $IMG AS unused',
        'RUN exit 7',
        'FROM $IMG AS build',
        'RUN <<EOF',
        'mkdir -p /out',
        'echo made > /out/made.txt',
        'EOF',
        'COPY <<EOT /out/notes.txt',
        'from a heredoc',
        'EOT',
        'FROM $IMG AS final',
        "RUN echo 'app:x:1234:1234::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1234:' >> /etc/group",
        'COPY --from=build /out/ /srv/',
        'COPY --chown=app:app --chmod=700 app.sh /srv/app.sh',
        'USER app',
        'WORKDIR /home/app/work',
        'RUN id -u > /home/app/work/who',
        'CMD ["sh", "-c", "cat /srv/made.txt /srv/notes.txt /home/app/work/who; ls -ld /srv/app.sh /home/app/work"]',
        'FROM final AS extra',
        'RUN echo never',
        '',
      ].join('\n'),
    });
    const b = await cli.run('build', '--progress=plain', '--target', 'final', '-t', 'multi', dir);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toContain('exit 7');
    expect(b.stderr).not.toContain('echo never');
    expect(b.stderr).toMatch(/\[build 2\/3\] RUN <<EOF/);
    const r = await cli.run('run', '--rm', 'multi');
    expect(r.stdout).toMatch(/^made\nfrom a heredoc\n1234\ndrwxr-xr-x +2 app +app .* \/home\/app\/work\n-rwx------ +1 app +app +19 .* \/srv\/app\.sh\n$/);
    expect((await inspect('multi'))['Config']['User']).toBe('app');
    const bad = await cli.run('build', '--target', 'nope', dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('target stage "nope" could not be found');
  }, 600_000);

  it('--label, --iidfile, --network none for RUN, and ONBUILD triggers run in the child build', async () => {
    const parent = context('onbuild-parent', { Dockerfile: 'FROM $IMG\nONBUILD RUN echo triggered > /trig\nRUN ls /sys/class/net > /nets\n' });
    const iid = join(tmp, 'iid');
    const p = await cli.run('build', '-q', '--network', 'none', '--label', 'org.example=yes', '--iidfile', iid, '-t', 'onb', parent);
    expect(p.code, p.stderr).toBe(0);
    expect(readFileSync(iid, 'utf8')).toBe(p.stdout.trim());
    const img = await inspect('onb');
    expect(img['Config']['Labels']).toMatchObject({ 'org.example': 'yes' });
    expect(img['Config']['OnBuild']).toEqual(['RUN echo triggered > /trig']);
    // No eth0 in the step: the guest kernel's sit0 stub is in every namespace, as lo is.
    expect((await cli.run('run', '--rm', 'onb', 'cat', '/nets')).stdout.split('\n').filter((x) => x && x !== 'sit0')).toEqual(['lo']);
    expect((await cli.run('run', '--rm', 'onb', 'ls', '/trig')).code).not.toBe(0);
    const child = await cli.run('build', '-q', '-t', 'onb-child', context('onbuild-child', { Dockerfile: 'FROM onb\nCMD ["cat", "/trig"]\n' }));
    expect(child.code, child.stderr).toBe(0);
    expect((await cli.run('run', '--rm', 'onb-child')).stdout).toBe('triggered\n');
    expect((await inspect('onb-child'))['Config']['OnBuild'] ?? []).toEqual([]);
  }, 600_000);

  it('a failing RUN: its output, BuildKit\'s error with the Dockerfile lines, exit 1, and no tag', async () => {
    const dir = context('fail', { Dockerfile: 'FROM $IMG\nRUN echo before\nRUN echo oops >&2; exit 3\nRUN echo after\n' });
    const b = await cli.run('build', '--progress=plain', '-t', 'broken', dir);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/#\d+ [\d.]+ oops\n#\d+ ERROR: process "\/bin\/sh -c echo oops >&2; exit 3" did not complete successfully: exit code: 3/);
    expect(b.stderr).toContain(' > [3/4] RUN echo oops >&2; exit 3:\n');
    expect(b.stderr).toContain('   3 | >>> RUN echo oops >&2; exit 3\n');
    expect(b.stderr).toContain('ERROR: failed to solve: process "/bin/sh -c echo oops >&2; exit 3" did not complete successfully: exit code: 3\n');
    expect(b.stderr).not.toContain('echo after\n#');
    expect((await cli.run('image', 'inspect', 'broken')).code).toBe(1);
    // No build container is left behind.
    expect((await cli.run('ps', '-aq')).stdout).toBe('');
  }, 600_000);

  it('refuses bad input with the line at fault: an unknown instruction, a missing COPY source', async () => {
    const unk = await cli.run('build', context('unknown', { Dockerfile: 'FROM $IMG\nFROBNICATE x\n' }));
    expect(unk.code).toBe(1);
    expect(unk.stderr).toContain('dockerfile parse error on line 2: unknown instruction: FROBNICATE');
    expect(unk.stderr).toContain('   2 | >>> FROBNICATE x');
    const missing = await cli.run('build', '-t', 'nofile', context('missing', { Dockerfile: 'FROM $IMG\nCOPY nothere.txt /x\n' }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"/nothere.txt": not found');
    expect(missing.stderr).toContain('   2 | >>> COPY nothere.txt /x');
    expect((await cli.run('image', 'inspect', 'nofile')).code).toBe(1);
    const nodf = await cli.run('build', context('nodockerfile', { 'x.txt': 'x' }));
    expect(nodf.code).toBe(1);
    expect(nodf.stderr).toContain('failed to read dockerfile: open Dockerfile: no such file or directory');
  }, 600_000);

  it('a COPY past the store\'s cap fails with STORE_FULL naming the line, and tags nothing', async () => {
    const small = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_STORE_MAX: '16m' });
    try {
      expect((await small.run('pull', IMG)).code).toBe(0);
      const dir = context('too-big', { 'big.bin': randomBytes(24 << 20), Dockerfile: 'FROM $IMG\nCOPY big.bin /big.bin\n' });
      const b = await small.run('build', '-t', 'big', dir);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain('ERROR: failed to solve: the store is full: the files of this step need more room than it has left');
      expect(b.stderr).toContain('   2 | >>> COPY big.bin /big.bin');
      expect((await small.run('image', 'inspect', 'big')).code).toBe(1);
      expect((await small.run('run', '--rm', IMG, 'true')).code).toBe(0);
    } finally {
      small.dispose();
    }
  }, 600_000);

  it('.dockerignore with ** and ! exceptions, even one that excludes the Dockerfile; -f; build - with a tar and with a Dockerfile', async () => {
    const dir = context('ignore', {
      'keep/a.txt': 'a', 'keep/b.log': 'b', 'keep/important.log': 'i', 'deep/x/y/z.log': 'z', 'secret.env': 's',
      '.dockerignore': '**/*.log\n!keep/important.log\nsecret.env\nDockerfile\n.dockerignore\n',
      Dockerfile: 'FROM $IMG\nCOPY . /ctx/\n',
    });
    const b = await cli.run('build', '--progress=plain', '-t', 'ign', dir);
    expect(b.code, b.stderr).toBe(0);
    const found = (await cli.run('run', '--rm', 'ign', 'ls', '-R', '/ctx')).stdout;
    // Directories that no pattern excludes are sent, empty (as docker's context is).
    expect(found).toBe('/ctx:\ndeep\nkeep\n\n/ctx/deep:\nx\n\n/ctx/deep/x:\ny\n\n/ctx/deep/x/y:\n\n/ctx/keep:\na.txt\nimportant.log\n');
    writeFileSync(join(tmp, 'other.Dockerfile'), `FROM ${IMG}\nCMD ["echo", "from -f"]\n`);
    const f = await cli.run('build', '-q', '-f', join(tmp, 'other.Dockerfile'), dir);
    expect(f.code, f.stderr).toBe(0);
    expect((await cli.run('run', '--rm', f.stdout.trim())).stdout).toBe('from -f\n');
    const tar = await packTar([
      { header: { name: 'Dockerfile', type: 'file' as const, size: 0 }, body: `FROM ${IMG}\nCOPY hello.txt /\nCMD ["cat", "/hello.txt"]\n` },
      { header: { name: 'hello.txt', type: 'file' as const, size: 0 }, body: 'from a tar\n' },
    ].map((e) => ({ ...e, header: { ...e.header, size: new TextEncoder().encode(e.body).byteLength } })));
    const t = await runWithStdin(['build', '-q', '-'], gzipSync(tar));
    expect(t.code, t.stderr).toBe(0);
    expect((await cli.run('run', '--rm', t.stdout.trim())).stdout).toBe('from a tar\n');
    const d = await runWithStdin(['build', '-q', '-'], new TextEncoder().encode(`FROM ${IMG}\nCMD ["echo", "no context"]\n`));
    expect(d.code, d.stderr).toBe(0);
    expect((await cli.run('run', '--rm', d.stdout.trim())).stdout).toBe('no context\n');
  }, 600_000);

  it('ADD unpacks a local tar and fetches a URL (checked with --checksum) from a server on loopback', async () => {
    const body = new TextEncoder().encode('downloaded\n');
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const server: Server = createServer((req, res) => {
      if (req.url === '/file.txt') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const archive = gzipSync(await packTar([
        { header: { name: 'pkg/', type: 'directory', size: 0, mode: 0o750 } },
        { header: { name: 'pkg/bin.sh', type: 'file', size: 8, mode: 0o755, uid: 42, gid: 43 }, body: 'echo hi\n' },
        { header: { name: 'pkg/link', type: 'symlink', size: 0, linkname: 'bin.sh' } },
      ]));
      const dir = context('add', {
        'pkg.tar.gz': archive,
        Dockerfile: `FROM $IMG\nADD pkg.tar.gz /opt/\nADD --checksum=${sum} http://127.0.0.1:${port}/file.txt /dl/\nCMD ["sh", "-c", "ls -lnd /opt/pkg /opt/pkg/bin.sh /opt/pkg/link /dl/file.txt; cat /dl/file.txt"]\n`,
      });
      const b = await cli.run('build', '--progress=plain', '-t', 'added', dir);
      expect(b.code, b.stderr).toBe(0);
      const out = (await cli.run('run', '--rm', 'added')).stdout.split('\n');
      expect(out[0]).toMatch(/^-rw------- +1 0 +0 +11 .* \/dl\/file\.txt$/);
      expect(out[1]).toMatch(/^drwxr-x--- +2 0 +0 .* \/opt\/pkg$/);
      expect(out[2]).toMatch(/^-rwxr-xr-x +1 42 +43 +8 .* \/opt\/pkg\/bin\.sh$/);
      expect(out[3]).toMatch(/^lrwxrwxrwx +1 0 +0 .* \/opt\/pkg\/link -> bin\.sh$/);
      expect(out[4]).toBe('downloaded');
      const wrong = await cli.run('build', context('add-bad', { Dockerfile: `FROM $IMG\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/file.txt /dl/\n` }));
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('digest mismatch');
      const gone = await cli.run('build', context('add-404', { Dockerfile: `FROM $IMG\nADD http://127.0.0.1:${port}/missing /dl/\n` }));
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('invalid response status 404');
    } finally {
      server.close();
    }
  }, 600_000);

  it('a built image pushed to the registry reads back with skopeo and umoci as the tree the build made', async () => {
    const tag = `${reg.host}/built:1`;
    expect((await cli.run('tag', 'multi', tag)).code).toBe(0);
    const p = await cli.run('push', tag);
    expect(p.code, p.stderr).toBe(0);
    const layout = join(tmp, 'built-layout');
    await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${tag}`, `oci:${layout}:t`]);
    const bundle = join(tmp, 'built-bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:t`, bundle]);
    const root = join(bundle, 'rootfs');
    expect(readFileSync(join(root, 'srv', 'made.txt'), 'utf8')).toBe('made\n');
    expect(readFileSync(join(root, 'srv', 'notes.txt'), 'utf8')).toBe('from a heredoc\n');
    expect(lstatSync(join(root, 'srv', 'app.sh')).mode & 0o7777).toBe(0o700);
    expect(readFileSync(join(root, 'home', 'app', 'work', 'who'), 'utf8')).toBe('1234\n');
    expect(readdirSync(join(root, 'bin')).length).toBeGreaterThan(10);
    expect(readlinkSync(join(root, 'bin', 'sh'))).toBe('busybox');
  }, 600_000);

  it('the cache survives a daemon restart; builder prune clears it and system df counts it', async () => {
    stopDaemon(cli.home);
    const again = await cli.run('build', '--progress=plain', '-t', 'app:4', '--build-arg', 'MSG=yo', basic);
    expect(again.code, again.stderr).toBe(0);
    expect([...steps(again.stderr)].filter(([n]) => /^\[[2-6]\/6\]/.test(n)).every(([, st]) => st === 'CACHED')).toBe(true);
    const df = await cli.run('system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
    expect(df.stdout).toMatch(/Build Cache [1-9]\d*/);
    const pr = await cli.run('builder', 'prune', '-f', '-a');
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toContain('Total reclaimed space:');
    expect((await cli.run('system', 'df', '--format', '{{.Type}} {{.TotalCount}}')).stdout).toContain('Build Cache 0');
    const after = await cli.run('build', '--progress=plain', '--build-arg', 'MSG=yo', basic);
    expect([...steps(after.stderr)].filter(([n]) => /^\[[2-6]\/6\]/.test(n)).every(([, st]) => st === 'DONE')).toBe(true);
    // Tagged results stay images.
    expect((await cli.run('run', '--rm', 'app:1')).stdout).toBe('built yo\n');
  }, 600_000);
});
