// Making images and moving them (issue 15, image half): `commit`, `push`, `save`/`load`,
// `export`/`import`, end to end as a user types them: a real registry on loopback, the real
// guest, and skopeo/umoci reading what tabdock wrote. One daemon for the whole file.
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { packTar } from 'modern-tar';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, fixtureLayout, startRegistry, type CliHome, type TestRegistry } from './support/index.ts';
import { makeTempDir, removeTempDir, run } from './support/proc.ts';

let reg: TestRegistry;
/** Behind token auth: a push needs `login`. */
let authReg: TestRegistry;
let cli: CliHome;
let IMG: string;
let tmp: string;

beforeAll(async () => {
  [reg, authReg] = await Promise.all([startRegistry(), startRegistry({ auth: 'token' })]);
  await reg.push('busybox', 'busybox:latest');
  IMG = `${reg.host}/busybox`;
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: `${reg.host},${authReg.host}`, TABDOCK_DAEMON_IDLE_SECONDS: '120' });
  const first = await cli.run('pull', IMG);
  if (first.code !== 0) throw new Error(`pull failed: ${first.stderr}`);
  tmp = makeTempDir('image-io');
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  await authReg?.stop();
  if (tmp) removeTempDir(tmp);
});

/** A tree as `path kind mode [content|target]` lines, sorted: what two unpacks must agree on. */
function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${r} l ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`${r} d ${mode}`);
        walk(full, r);
      } else out.push(`${r} f ${mode} ${st.size === 0 ? '' : readFileSync(full).subarray(0, 64).toString('hex')}`);
    }
  };
  walk(root, '');
  return out;
}

/** `skopeo copy` of a pushed image to an OCI layout, `umoci unpack`ed: its tree. */
async function pulledTree(src: string, name: string): Promise<string[]> {
  const layout = join(tmp, `${name}-layout`);
  await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', src, `oci:${layout}:t`]);
  const bundle = join(tmp, `${name}-bundle`);
  await run('umoci', ['unpack', '--rootless', '--image', `${layout}:t`, bundle]);
  return treeOf(join(bundle, 'rootfs'));
}

const ok = async (...args: string[]) => {
  const r = await cli.run(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

describe('commit', () => {
  it('makes an image of the container\'s changes (deletions included) that runs, with -c/-m/-a in its config and history', async () => {
    await ok('run', '--name', 'c1', '-e', 'FROM_RUN=1', IMG, 'sh', '-c', 'echo hi > /new && mkdir /d && rm /etc/group');
    const out = await ok('commit', '-a', 'Ann <a@example.test>', '-m', 'first', '-c', 'CMD ["cat", "/new"]', '-c', 'ENV A=b C="d e"', '-c', 'EXPOSE 80', '-c', 'LABEL x=y', '-c', 'WORKDIR /d', 'c1', 'committed:v1');
    expect(out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await ok('run', '--rm', 'committed:v1')).toBe('hi\n');
    expect(await ok('run', '--rm', 'committed:v1', 'sh', '-c', 'pwd; [ -e /etc/group ] || echo no group; echo $A $C $FROM_RUN')).toBe('/d\nno group\nb d e 1\n');
    const [img] = JSON.parse(await ok('image', 'inspect', 'committed:v1')) as { Id: string; Author: string; Comment: string; Config: Record<string, unknown>; RootFS: { Layers: string[] } }[];
    expect(img!.Id).toBe(out.trim());
    expect(img!.Author).toBe('Ann <a@example.test>');
    expect(img!.Config).toMatchObject({ Cmd: ['cat', '/new'], WorkingDir: '/d', ExposedPorts: { '80/tcp': {} }, Labels: { 'org.tabdock.fixture': 'busybox', x: 'y' } });
    expect(img!.Config['Env']).toEqual(expect.arrayContaining(['FROM_RUN=1', 'A=b', 'C=d e']));
    expect(img!.RootFS.Layers).toHaveLength(2);
    const hist = await ok('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:v1');
    expect(hist.split('\n')[0]).toBe('sh -c echo hi > /new && mkdir /d && rm /etc/group|first');
  }, 240_000);

  it('refuses a change Docker refuses, and makes nothing', async () => {
    const before = await ok('images', '-q');
    const r = await cli.run('commit', '-c', 'RUN true', 'c1', 'bad:x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('run is not a valid change command');
    expect(await ok('images', '-q')).toBe(before);
  }, 120_000);

  it('pauses a running container while it commits it (Docker\'s default), and leaves it running; -p=false does not pause', async () => {
    await ok('run', '-d', '--name', 'live', IMG, 'sh', '-c', 'echo up > /state; sleep 300');
    try {
      const since = new Date(Date.now() - 1000).toISOString();
      await ok('commit', 'live', 'live:v1');
      await ok('commit', '-p=false', 'live', 'live:v2');
      expect(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'live')).toBe('running false\n');
      const events = await ok('events', '--since', since, '--until', new Date(Date.now() + 1000).toISOString(), '--filter', 'container=live', '--format', '{{.Action}}');
      // one pause and one unpause: the first commit's, none for -p=false
      expect(events.split('\n').filter((a) => a === 'pause' || a === 'unpause')).toEqual(['pause', 'unpause']);
      expect(await ok('run', '--rm', 'live:v1', 'cat', '/state')).toBe('up\n');
    } finally {
      await cli.run('rm', '-f', 'live');
    }
  }, 180_000);
});

describe('push', () => {
  it('uploads a committed image (the base layer mounted from its repository), which skopeo inspects and unpacks to exactly the committed tree', async () => {
    const dest = `${reg.host}/committed:v1`;
    await ok('tag', 'committed:v1', dest);
    const out = await ok('push', dest);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${reg.host}/committed]`);
    expect(lines).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Mounted from busybox$/));
    expect(lines).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Pushed$/));
    const last = /^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(lines.at(-1)!);
    expect(last, out).not.toBeNull();
    const info = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`])) as { Digest: string; Layers: string[]; Architecture: string };
    expect(info.Digest).toBe(last![1]);
    expect(info.Layers).toHaveLength(2);
    expect(info.Architecture).toBe('386');
    // The base's tree with the container's changes: /new and /d added, /etc/group deleted (a whiteout).
    const base = await pulledTree(await fixtureLayout('busybox'), 'base');
    const expected = [...base.filter((l) => !l.startsWith('etc/group ')), 'd d 755', `new f 644 ${Buffer.from('hi\n').toString('hex')}`].sort();
    expect(await pulledTree(`docker://${dest}`, 'pushed')).toEqual(expected);
    // Pushed again: every blob is there.
    const again = await ok('push', dest);
    expect(again.split('\n').filter((l) => /^[0-9a-f]{12}: /.test(l) && !/Preparing|Waiting/.test(l)).every((l) => l.endsWith(': Layer already exists'))).toBe(true);
    const [img] = JSON.parse(await ok('image', 'inspect', dest)) as { RepoDigests: string[] }[];
    expect(img!.RepoDigests).toContain(`${reg.host}/committed@${last![1]}`);
  }, 240_000);

  it('needs login for a registry behind token auth, then uploads with the credentials', async () => {
    const dest = `${authReg.host}/team/app:1`;
    await ok('tag', 'committed:v1', dest);
    const denied = await cli.run('push', dest);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/Error response from daemon: .*(denied|unauthorized|credentials|refused)/i);
    await ok('login', '-u', 'tester', '-p', 'secret', authReg.host);
    const out = await ok('push', dest);
    expect(out).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    await run('skopeo', ['inspect', '--tls-verify=false', '--creds', 'tester:secret', `docker://${dest}`]);
  }, 240_000);

  it('refuses a tag that names no image', async () => {
    const r = await cli.run('push', `${reg.host}/nothing:here`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('An image does not exist locally with the tag');
  }, 60_000);
});

describe('save and load', () => {
  it('save writes an archive skopeo reads as docker-archive (and as an OCI layout); it loads back and runs', async () => {
    const file = join(tmp, 'committed.tar');
    expect(await ok('save', '-o', file, 'committed:v1')).toBe('');
    const info = JSON.parse(await run('skopeo', ['inspect', `docker-archive:${file}`])) as { Layers: string[]; Architecture: string; RepoTags: string[] };
    expect(info.Layers).toHaveLength(2);
    expect(info.Architecture).toBe('386');
    const oci = JSON.parse(await run('skopeo', ['inspect', `oci-archive:${file}`])) as { Layers: string[] };
    expect(oci.Layers).toEqual(info.Layers);
    const [before] = JSON.parse(await ok('image', 'inspect', 'committed:v1')) as { Id: string }[];
    await ok('rmi', 'committed:v1');
    expect(await ok('load', '-i', file)).toBe('Loaded image: committed:v1\n');
    const [after] = JSON.parse(await ok('image', 'inspect', 'committed:v1')) as { Id: string }[];
    expect(after!.Id).toBe(before!.Id);
    expect(await ok('run', '--rm', 'committed:v1')).toBe('hi\n');
  }, 240_000);

  it('loads a docker-archive that skopeo wrote, and it runs', async () => {
    const file = join(tmp, 'from-skopeo.tar');
    await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${IMG}:latest`, `docker-archive:${file}:skopeo/bb:1`]);
    expect(await ok('load', '-i', file)).toBe('Loaded image: skopeo/bb:1\n');
    expect(await ok('run', '--rm', 'skopeo/bb:1', 'echo', 'loaded')).toBe('loaded\n');
  }, 240_000);

  it('refuses hostile archives with a clear error and stores nothing', async () => {
    const before = await ok('images', '-q', '--no-trunc');
    const enc = (s: string) => new TextEncoder().encode(s);
    const tarOf = (files: [string, Uint8Array | string][]) => packTar(files.map(([name, b]) => {
      const body = typeof b === 'string' ? enc(b) : b;
      return { header: { name, size: body.byteLength }, body };
    }));
    const cases: [string, Uint8Array, RegExp][] = [
      ['traversal', await tarOf([['../escape', 'hi']]), /points outside the archive/],
      ['absolute', await tarOf([['/etc/x', 'hi']]), /absolute path/],
      ['lying blob name', await tarOf([[`blobs/sha256/${'ab'.repeat(32)}`, 'hello']]), /does not hold what its name says/],
      ['manifest pointing out', await tarOf([['manifest.json', JSON.stringify([{ Config: '../../etc/passwd', Layers: [] }])]]), /points outside the archive/],
    ];
    // A layer that is not the one its config names (a lying diff ID).
    const layer = await tarOf([['evil', 'evil']]);
    const config = JSON.stringify({ architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'00'.repeat(32)}`] } });
    cases.push(['lying diff ID', await tarOf([
      ['layer.tar', layer], ['config.json', config],
      ['manifest.json', JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:1'], Layers: ['layer.tar'] }])],
    ]), /is not the layer its config names/]);
    for (const [name, tar, message] of cases) {
      const file = join(tmp, `hostile-${name.replaceAll(' ', '-')}.tar`);
      writeFileSync(file, tar);
      const r = await cli.run('load', '-i', file);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
    }
    expect(await ok('images', '-q', '--no-trunc')).toBe(before);
  }, 120_000);
});

describe('export and import', () => {
  it('export writes the container\'s whole tree; import makes a one-layer image of it that runs', async () => {
    const file = join(tmp, 'c1-export.tar');
    expect(await ok('export', '-o', file, 'c1')).toBe('');
    const names = (await run('tar', ['-tf', file])).split('\n');
    expect(names).toEqual(expect.arrayContaining(['new', 'd/', 'bin/busybox', 'bin/sh', 'etc/passwd']));
    expect(names).not.toContain('etc/group');
    const out = await ok('import', '-c', 'CMD ["cat", "/new"]', '-m', 'from c1', file, 'imported:1');
    expect(out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await ok('run', '--rm', 'imported:1')).toBe('hi\n');
    const [img] = JSON.parse(await ok('image', 'inspect', 'imported:1')) as { Id: string; RootFS: { Layers: string[] }; Config: { Cmd: string[] } }[];
    expect(img!.Id).toBe(out.trim());
    expect(img!.RootFS.Layers).toHaveLength(1);
    expect(img!.Config.Cmd).toEqual(['cat', '/new']);
    expect(await ok('history', '--format', '{{.Comment}}', 'imported:1')).toBe('from c1\n');
  }, 240_000);
});
