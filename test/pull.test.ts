// `tabdock pull / images / image inspect / rmi` end to end, as a user runs them, against
// a real docker-registry on loopback fed by skopeo with umoci-built images.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, truncateSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliHome, fixtureInfo, startRegistry, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('multi', 'multi:1', { all: true });
  await reg.push('busybox', 'busybox:latest');
  cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
});
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

function storedBlobs(home: string): string[] {
  const dir = join(home, 'store', 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('tabdock pull', () => {
  it('picks linux/386 from a multi-platform index, and image inspect shows its diff IDs', async () => {
    const info = await fixtureInfo('multi');
    const m386 = info.manifests.find((m) => m.platform.architecture === '386')!;
    const ref = `${reg.host}/multi:1`;
    const r = await cli.run('pull', ref);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1: Pulling from multi\n');
    for (const l of m386.layerDigests) expect(r.stdout).toContain(`${l.slice(7, 19)}: Pull complete`);
    expect(r.stdout).toContain(`Digest: ${info.indexDigest}\n`);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref}\n`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(ref);

    const again = await cli.run('pull', ref);
    expect(again.stdout).toContain(`Status: Image is up to date for ${ref}`);
    // Docker's lines for a layer it has: "Already exists" alone, no "Pulling fs layer" first.
    const have = m386.layerDigests.map((l) => `${l.slice(7, 19)}: Already exists\n`).join('');
    expect(again.stdout).toBe(`1: Pulling from multi\n${have}Digest: ${info.indexDigest}\nStatus: Image is up to date for ${ref}\n${ref}\n`);
    // By digest: the digest reference the tag's pull recorded already names the image.
    const byDigest = `${reg.host}/multi@${info.indexDigest}`;
    const d = await cli.run('pull', byDigest);
    expect(d).toEqual({ code: 0, stderr: '', stdout: `${info.indexDigest}: Pulling from multi\n${have}Digest: ${info.indexDigest}\nStatus: Image is up to date for ${byDigest}\n${byDigest}\n` });

    const ins = await cli.run('image', 'inspect', ref);
    expect(ins.code).toBe(0);
    const [img] = JSON.parse(ins.stdout) as Record<string, any>[];
    expect(img!['Id']).toBe(m386.configDigest);
    expect(img!['Architecture']).toBe('386');
    expect(img!['Os']).toBe('linux');
    expect(img!['RepoTags']).toEqual([ref]);
    expect(img!['RepoDigests']).toEqual([`${reg.host}/multi@${info.indexDigest}`]);
    expect(img!['RootFS']).toEqual({ Type: 'layers', Layers: m386.diffIds });
    expect(img!['Config'].Cmd).toEqual(['sh']);

    const fmt = await cli.run('inspect', '--format', '{{.Architecture}}', ref);
    expect(fmt.stdout).toBe('386\n');
  });

  it('on a terminal, each layer line goes Downloading -> Extracting (with its bar) -> Pull complete, as docker draws it', async () => {
    const home = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
    try {
      // util-linux's script(1) gives the command a pseudo-terminal, as a user's shell would.
      const screen = await new Promise<string>((resolve, reject) => {
        execFile('script', ['-qec', `${process.execPath} ${BIN} pull ${reg.host}/busybox`, '/dev/null'], { env: { ...process.env, ...home.env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
      const id = (await fixtureInfo('busybox')).manifests[0]!.layerDigests[0]!.slice(7, 19);
      const extracting = screen.search(new RegExp(`${id}: Extracting \\[[=> ]{50}\\]  \\S+/\\S+`));
      expect(extracting, screen).toBeGreaterThan(screen.indexOf(`${id}: Download complete`));
      expect(screen.indexOf(`${id}: Download complete`)).toBeGreaterThan(screen.indexOf(`${id}: Downloading [`));
      expect(screen.indexOf(`${id}: Pull complete`)).toBeGreaterThan(extracting);
      expect(screen).toContain(`Status: Downloaded newer image for ${reg.host}/busybox:latest`);
    } finally {
      home.dispose();
    }
  });

  it('pulls another platform with --platform, and lists what an image has when nothing matches', async () => {
    const info = await fixtureInfo('multi');
    const arm = info.manifests.find((m) => m.platform.architecture === 'arm')!;
    const r = await cli.run('pull', '--platform', 'linux/arm/v7', `${reg.host}/multi:1`);
    expect(r.code).toBe(0);
    const ins = JSON.parse((await cli.run('image', 'inspect', `${reg.host}/multi:1`)).stdout);
    expect(ins[0].Id).toBe(arm.configDigest);

    const bad = await cli.run('pull', '--platform', 'linux/s390x', `${reg.host}/multi:1`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `Error response from daemon: no matching manifest for linux/s390x in the manifest list entries of ${reg.host}/multi:1; it has linux/amd64, linux/386, linux/arm/v7.\n`,
    );
  });

  it('explains that an image of platforms it neither runs nor emulates cannot run, listing its platforms', async () => {
    await reg.push('unemulated', 'unemulated:1', { all: true });
    await reg.push('unemulated-single', 'unemulated-single:1');
    const idx = await cli.run('pull', `${reg.host}/unemulated:1`);
    expect(idx.code).toBe(1);
    expect(idx.stderr).toContain('no matching manifest for linux/386');
    expect(idx.stderr).toContain('it has linux/s390x, linux/ppc64le.');
    expect(idx.stderr).toContain('tabdock runs 32-bit x86 (linux/386) images, what its emulator runs natively, and linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6 through QEMU emulation.');
    const single = await cli.run('pull', `${reg.host}/unemulated-single:1`);
    expect(single.code).toBe(1);
    expect(single.stderr).toContain('it has linux/s390x.');
    // Its layers downloaded beside the config (as Docker's do) are stopped and not kept.
    const layers = (await fixtureInfo('unemulated-single')).manifests[0]!.layerDigests.map((d) => d.slice(7));
    expect(storedBlobs(cli.home).filter((b) => layers.includes(b))).toEqual([]);
    expect(readdirSync(join(cli.home, 'store', 'tmp'))).toEqual([]);
  });

  it('pulls Docker v2s2 manifest lists and zstd layers', async () => {
    await reg.push('multi-noattest', 'v2s2:list', { all: true, format: 'v2s2' });
    await reg.push('busybox', 'busybox:zstd', { zstd: true });
    const v2 = await cli.run('pull', `${reg.host}/v2s2:list`);
    expect(v2.code, v2.stderr).toBe(0);
    const z = await cli.run('pull', `${reg.host}/busybox:zstd`);
    expect(z.code, z.stderr).toBe(0);
    const zinfo = await fixtureInfo('busybox', { zstd: true });
    expect(zinfo.manifests[0]!.layerMediaTypes[0]).toContain('zstd');
    const ins = JSON.parse((await cli.run('image', 'inspect', `${reg.host}/busybox:zstd`)).stdout);
    expect(ins[0].RootFS.Layers).toEqual(zinfo.manifests[0]!.diffIds);
  });

  it('lists images like docker images, and rmi frees blobs no other image uses', async () => {
    const home = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
    try {
      expect((await home.run('pull', `${reg.host}/busybox`)).code).toBe(0);
      expect((await home.run('tag', `${reg.host}/busybox`, 'mine:v1')).code).toBe(0);
      const ls = await home.run('images');
      const lines = ls.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
      const info = await fixtureInfo('busybox');
      const id = info.manifests[0]!.configDigest.slice(7, 19);
      expect(lines.some((l) => new RegExp(`^${reg.host.replace(/\./g, '\\.')}/busybox\\s+latest\\s+${id}\\s+.+ ago\\s+\\d`).test(l))).toBe(true);
      expect(lines.some((l) => new RegExp(`^mine\\s+v1\\s+${id}\\s`).test(l))).toBe(true);
      // One line per tag, as docker prints it (the same ID twice).
      expect((await home.run('images', '-q')).stdout).toBe(`${id}\n${id}\n`);

      // config.json's default formats, as docker/cli reads them: a flag wins, -q wins over
      // imagesFormat/networksFormat/volumesFormat, and a file that is not JSON is a warning.
      writeFileSync(join(home.home, 'config.json'), JSON.stringify({
        imagesFormat: '{{.Repository}}={{.Tag}}', psFormat: 'table {{.Names}}', networksFormat: '{{.Name}}/{{.Driver}}', volumesFormat: 'vol {{.Name}}',
      }));
      expect((await home.run('images')).stdout.split('\n').sort().join(' ')).toBe(` ${reg.host}/busybox=latest mine=v1`);
      expect((await home.run('images', '--format', '{{.Tag}}')).stdout).toBe('latest\nv1\n');
      expect((await home.run('images', '-q')).stdout).toBe(`${id}\n${id}\n`);
      expect(await home.run('ps')).toEqual({ code: 0, stdout: 'NAMES\n', stderr: '' });
      expect(await home.run('ps', '-q', '--format', '{{.Names}}')).toEqual({ code: 0, stdout: '', stderr: 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n' });
      expect((await home.run('network', 'ls')).stdout).toBe('bridge/bridge\nhost/host\nnone/null\n');
      expect((await home.run('volume', 'create', 'v1')).code).toBe(0);
      expect((await home.run('volume', 'ls')).stdout).toBe('vol v1\n');
      expect((await home.run('volume', 'ls', '-q')).stdout).toBe('v1\n');
      expect((await home.run('volume', 'rm', 'v1')).code).toBe(0);
      writeFileSync(join(home.home, 'config.json'), '{ not json');
      const warned = await home.run('images', '-q');
      expect(warned.stdout).toBe(`${id}\n${id}\n`);
      expect(warned.stderr).toMatch(/^WARNING: Error loading config file: .*config\.json is not valid JSON: .*\n$/);
      writeFileSync(join(home.home, 'config.json'), '{}');

      const before = storedBlobs(home.home).length;
      const un = await home.run('rmi', 'mine:v1');
      expect(un.stdout).toBe('Untagged: mine:v1\n');
      expect(storedBlobs(home.home).length).toBe(before);
      const rm = await home.run('rmi', `${reg.host}/busybox`);
      expect(rm.code).toBe(0);
      expect(rm.stdout).toContain(`Untagged: ${reg.host}/busybox:latest\n`);
      expect(rm.stdout).toContain(`Deleted: ${info.manifests[0]!.configDigest}\n`);
      expect(storedBlobs(home.home)).toEqual([]);
      expect((await home.run('images', '-q')).stdout).toBe('');
      const missing = await home.run('rmi', 'nosuch');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('Error response from daemon: No such image: nosuch\n');
    } finally {
      home.dispose();
    }
  });
});

describe('tabdock pull refuses bad input and loses nothing', () => {
  it('a tampered blob in the registry: the pull fails, nothing is listed, no blob is left', async () => {
    const home = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
    const r2 = await startRegistry();
    try {
      await r2.push('busybox', 'tampered:1');
      const layer = (await fixtureInfo('busybox')).manifests[0]!.layerDigests[0]!;
      const p = r2.blobPath(layer);
      const bytes = readFileSync(p);
      bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
      writeFileSync(p, bytes);
      home.env['TABDOCK_INSECURE_REGISTRIES'] = r2.host;
      const r = await home.run('pull', `${r2.host}/tampered:1`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: .*blob .*content does not match its digest \(expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\); refusing to use it\n$/);
      expect((await home.run('images', '-q')).stdout).toBe('');
      expect(storedBlobs(home.home).filter((b) => b === layer.slice(7))).toEqual([]);
      expect(readdirSync(join(home.home, 'store', 'tmp'))).toEqual([]);
    } finally {
      home.dispose();
      await r2.stop();
    }
  });

  it('a blob truncated in the registry storage never lands', async () => {
    const home = cliHome();
    const r2 = await startRegistry();
    try {
      await r2.push('busybox', 'short:1');
      const layer = (await fixtureInfo('busybox')).manifests[0]!.layerDigests[0]!;
      const p = r2.blobPath(layer);
      truncateSync(p, statSync(p).size >> 1);
      home.env['TABDOCK_INSECURE_REGISTRIES'] = r2.host;
      const r = await home.run('pull', `${r2.host}/short:1`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: /);
      expect((await home.run('images', '-q')).stdout).toBe('');
      expect(storedBlobs(home.home)).not.toContain(layer.slice(7));
    } finally {
      home.dispose();
      await r2.stop();
    }
  });

  it('a truncated gzip whose blob digest checks out is refused when it is inflated', async () => {
    await reg.push('truncated-gzip', 'truncgz:1');
    const home = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host });
    try {
      const r = await home.run('pull', `${reg.host}/truncgz:1`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: layer [0-9a-f]{12} of .*truncgz:1: the gzip data is truncated or corrupt/);
      expect((await home.run('images', '-q')).stdout).toBe('');
      const layer = (await fixtureInfo('truncated-gzip')).manifests[0]!.layerDigests[0]!;
      expect(storedBlobs(home.home)).not.toContain(layer.slice(7));
    } finally {
      home.dispose();
    }
  });

  it('404s become sentences: unknown repository, unknown tag', async () => {
    // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it has never seen.
    const repo = await cli.run('pull', `${reg.host}/nosuch:1`);
    expect(repo.code).toBe(1);
    expect(repo.stderr).toBe(`Error response from daemon: manifest for ${reg.host}/nosuch:1 not found: manifest unknown\n`);
    const tag = await cli.run('pull', `${reg.host}/busybox:nosuch`);
    expect(tag.stderr).toBe(`Error response from daemon: manifest for ${reg.host}/busybox:nosuch not found: manifest unknown\n`);
  });

  it('a plain-HTTP registry that is not configured as insecure is refused with Docker’s hint', async () => {
    const home = cliHome();
    try {
      const r = await home.run('pull', `${reg.host}/busybox`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('http: server gave HTTP response to HTTPS client');
      expect(r.stderr).toContain('insecure-registries');
    } finally {
      home.dispose();
    }
  });

  it('insecure-registries and registry-mirrors come from $TABDOCK_HOME/daemon.json', async () => {
    const home = cliHome();
    const mirror = await startRegistry();
    try {
      await mirror.push('busybox', 'library/busybox:latest');
      writeFileSync(join(home.home, 'daemon.json'), JSON.stringify({ 'insecure-registries': [reg.host], 'registry-mirrors': [`http://${mirror.host}`] }));
      expect((await home.run('pull', `${reg.host}/busybox`)).code).toBe(0);
      // Docker Hub is not reachable here: the image can only come from the mirror.
      const hub = await home.run('pull', 'busybox');
      expect(hub.stderr).toBe('');
      expect(hub.stdout).toContain('Using default tag: latest\nlatest: Pulling from library/busybox\n');
      expect(hub.stdout.trimEnd().split('\n').at(-1)).toBe('docker.io/library/busybox:latest');
      expect((await home.run('images')).stdout).toMatch(/\nbusybox\s+latest\s/);
    } finally {
      home.dispose();
      await mirror.stop();
    }
  });

  it('flag and reference errors: one line, Docker’s exit codes', async () => {
    const flag = await cli.run('pull', '--bogus', 'x');
    expect(flag.code).toBe(125);
    expect(flag.stderr.split('\n')[0]).toBe('tabdock: unknown flag: --bogus');
    const refErr = await cli.run('pull', 'Busybox');
    expect(refErr.code).toBe(1);
    expect(refErr.stderr).toBe('Error response from daemon: invalid reference format: repository name (library/Busybox) must be lowercase\n');
    const plat = await cli.run('pull', '--platform', 'linux', 'busybox');
    expect(plat.stderr).toBe('Error response from daemon: invalid platform "linux": expected os/arch[/variant], e.g. linux/386\n');
  });
});
