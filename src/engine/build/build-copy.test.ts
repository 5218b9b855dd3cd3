import { packTar } from 'modern-tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryContext } from '../../build/context-tar.ts';
import { lookupPath, type ContainerFs } from '../../fs-layers/index.ts';
import { dir, engineKit, file, type EngineKit } from '../test-helpers.ts';
import { archiveKind, copySources, unpackInto } from './build-copy.ts';

let kit: EngineKit;
let fs: ContainerFs;
beforeEach(async () => {
  kit = await engineKit([]);
  const base = await kit.layer([dir('etc'), file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'), dir('srv'), file('srv/old', 'old\n')]);
  const img = await kit.image('base', [base]);
  fs = await kit.engine.filesystems.tree({ Id: 'copy-test', Image: img.id });
});
afterEach(async () => kit.cleanup());

const enc = (s: string) => new TextEncoder().encode(s);
const text = async (p: string) => {
  const n = lookupPath(fs.root, p.replace(/^\//, ''));
  return n?.kind === 'f' ? new TextDecoder().decode(await fs.read(n, 0, n.size)) : undefined;
};

describe('COPY and ADD into a tree', () => {
  it('copies a directory\'s contents, a file into a directory or to a path, with --chown and --chmod, making parents', async () => {
    const ctx = new MemoryContext();
    ctx.add({ path: 'src/a', type: 'file', mode: 0o600, uid: 501, gid: 20, size: 2 }, enc('a\n'));
    ctx.add({ path: 'src/sub/b', type: 'file', mode: 0o644, uid: 501, gid: 20, size: 2 }, enc('b\n'));
    ctx.add({ path: 'one.txt', type: 'file', mode: 0o644, uid: 501, gid: 20, size: 4 }, enc('one\n'));
    await copySources(fs, ctx, ['src'], '/app/', {});
    await copySources(fs, ctx, ['one.txt'], '/srv', { owner: { uid: 7, gid: 8 }, mode: 0o640 });
    await copySources(fs, ctx, ['one.txt'], '/deep/er/renamed.txt', {});
    expect(await text('/app/a')).toBe('a\n');
    expect(await text('/app/sub/b')).toBe('b\n');
    expect(lookupPath(fs.root, 'app/a')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(lookupPath(fs.root, 'srv/one.txt')).toMatchObject({ mode: 0o640, uid: 7, gid: 8 });
    expect(await text('/srv/old')).toBe('old\n');
    expect(await text('/deep/er/renamed.txt')).toBe('one\n');
    expect(lookupPath(fs.root, 'deep/er')).toMatchObject({ kind: 'd', mode: 0o755 });
  });

  it('ADD unpacks a tar keeping its owners, modes and hard links, and refuses one whose entry leaves the destination', async () => {
    const tar = await packTar([
      { header: { name: 'pkg/', type: 'directory', size: 0, mode: 0o750 } },
      { header: { name: 'pkg/tool', type: 'file', size: 3, mode: 0o755, uid: 42, gid: 43 }, body: 'hi\n' },
      { header: { name: 'pkg/tool2', type: 'link', size: 0, linkname: 'pkg/tool' } },
    ]);
    expect(archiveKind(tar)).toBe('tar');
    await unpackInto(fs, tar, 'tar', '/opt', {}, 'pkg.tar');
    expect(lookupPath(fs.root, 'opt/pkg/tool')).toMatchObject({ mode: 0o755, uid: 42, gid: 43 });
    expect(lookupPath(fs.root, 'opt/pkg/tool2')).toBe(lookupPath(fs.root, 'opt/pkg/tool'));
    const hostile = await packTar([
      { header: { name: 'ok', type: 'file', size: 1 }, body: 'x' },
      { header: { name: '../../etc/passwd', type: 'file', size: 4 }, body: 'pwn\n' },
    ]);
    await expect(unpackInto(fs, hostile, 'tar', '/opt', {}, 'evil.tar')).rejects.toMatchObject({ code: 'BUILD_STEP_FAILED', message: expect.stringContaining('would land outside /opt') });
    expect(await text('/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
    const badLink = await packTar([{ header: { name: 'l', type: 'link', size: 0, linkname: '../../etc/passwd' } }]);
    await expect(unpackInto(fs, badLink, 'tar', '/opt', {}, 'evil.tar')).rejects.toMatchObject({ code: 'BUILD_STEP_FAILED' });
  });
});
