import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Digest } from '../../registry-client/index.ts';
import { dir, engineKit, file, runOptions, type EngineKit } from '../test-helpers.ts';
import { COMMITTED_LAYER_MEDIA_TYPE } from './commit-layer.ts';
import { FakeRuntime, fakeRegistration } from './fake-runtime.ts';
import { ContainerFilesystems } from './filesystems.ts';
import type { ContainerRecord } from './record.ts';

let kit: EngineKit;
beforeEach(async () => {
  kit = await engineKit([fakeRegistration(new FakeRuntime())]);
});
afterEach(async () => kit.cleanup());

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

async function container(image: string): Promise<ContainerRecord> {
  const { Id } = await kit.engine.createContainer({ image, options: runOptions({}, [image, 'true']) });
  return kit.engine.containers.store.find(Id);
}

describe('ContainerFilesystems', () => {
  it('commits a tree\'s changes as a layer that a new tree over the image\'s layers sees, whiteouts included', async () => {
    const base = await kit.layer([
      dir('etc'), file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'), file('keep', 'old\n'), file('gone', 'bye\n'),
      dir('olddir'), file('olddir/x', 'x\n'), dir('opq'), file('opq/old', 'lower\n'),
    ]);
    await kit.image('base', [base]);
    const a = await container('base');
    const fs = await kit.engine.filesystems.tree(a);
    const owner = { mode: 0o644, uid: 0, gid: 0 };
    await fs.write(fs.create(fs.root, 'added', 'f', owner), 0, new TextEncoder().encode('new\n'));
    const keep = fs.lookup(fs.root, 'keep');
    await fs.setattr(keep, { size: 0 });
    await fs.write(keep, 0, new TextEncoder().encode('changed\n'));
    fs.unlink(fs.root, 'gone', false);
    fs.unlink(fs.lookup(fs.root, 'olddir'), 'x', false);
    fs.unlink(fs.root, 'olddir', true);
    // A directory made anew over a lower one hides what the lower one had (an opaque whiteout).
    fs.unlink(fs.lookup(fs.root, 'opq'), 'old', false);
    fs.unlink(fs.root, 'opq', true);
    const opq = fs.create(fs.root, 'opq', 'd', { ...owner, mode: 0o755 });
    await fs.write(fs.create(opq, 'new', 'f', owner), 0, new TextEncoder().encode('upper\n'));

    const layer = await kit.engine.filesystems.commit(a);
    expect(layer.mediaType).toBe(COMMITTED_LAYER_MEDIA_TYPE);
    expect(await kit.blobs.size(layer.digest)).toBe(layer.size);
    expect(await kit.layers.has(layer.diffId)).toBe(true);
    // Held by the container until an image takes it.
    expect(await kit.layers.refs(layer.diffId)).toEqual([`container:${a.Id}`]);

    await kit.image('committed', [base, { digest: layer.digest.toString(), diffId: layer.diffId.toString(), size: layer.size, mediaType: layer.mediaType, uncompressedSize: 0 }]);
    const b = await container('committed');
    const read = (p: string) => kit.engine.filesystems.readFile(b, p).then(text);
    expect(await read('/added')).toBe('new\n');
    expect(await read('/keep')).toBe('changed\n');
    expect(await read('/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(await read('/gone')).toBeUndefined();
    expect(await kit.engine.statContainerPath(b.Id, '/olddir')).toBeUndefined();
    const bfs = await kit.engine.filesystems.tree(b);
    expect(bfs.readdir(bfs.lookup(bfs.root, 'opq')).map(([n]) => n)).toEqual(['new']);
    // The new container starts with no changes of its own: they are in its image now.
    expect(await kit.engine.containerChanges(b.Id)).toEqual([]);
  });

  it('commits the same changes to the same layer (digest and diff ID) at any later time, whiteouts included', async () => {
    await kit.image('base', [await kit.layer([file('f', 'base\n'), file('g', 'gone\n')])]);
    const a = await container('base');
    const fs = await kit.engine.filesystems.tree(a);
    await fs.write(fs.lookup(fs.root, 'f'), 0, new TextEncoder().encode('BASE'));
    fs.unlink(fs.root, 'g', false);
    const one = await kit.engine.filesystems.commit(a);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000); // an hour later: nothing in the layer may carry "now"
      const two = await kit.engine.filesystems.commit(a);
      expect(two.digest.toString()).toBe(one.digest.toString());
      expect(two.diffId.toString()).toBe(one.diffId.toString());
    } finally {
      vi.useRealTimers();
    }
  });

  it('removes a tree: its writable layer and its reference on the image\'s layers go', async () => {
    const base = await kit.layer([file('f', 'base\n')]);
    const img = await kit.image('base', [base]);
    const a = await container('base');
    const diffId = Digest.parse(base.diffId);
    expect((await kit.layers.refs(diffId)).sort()).toEqual([`container:${a.Id}`, img.id].sort());
    const fs = await kit.engine.filesystems.tree(a);
    await fs.write(fs.create(fs.root, 'mine', 'f', { mode: 0o644, uid: 0, gid: 0 }), 0, new TextEncoder().encode('x'));
    await fs.sync();
    await kit.engine.removeContainer(a.Id, {});
    expect(await kit.layers.refs(diffId)).toEqual([img.id]);
    // A tree opened again under the same ID starts empty: nothing of the old one is left.
    const again = await kit.engine.filesystems.tree(a);
    expect(again).not.toBe(fs);
    expect(again.root.children!.has('mine')).toBe(false);
    await kit.engine.filesystems.remove(a);
  });
});

describe('ContainerFilesystems.remove', () => {
  it('removes the tree of a container whose image record is gone, as a fresh engine finds it', async () => {
    const base = await kit.layer([file('f', 'base\n')]);
    const img = await kit.image('base', [base]);
    const a = await container('base');
    await kit.engine.images.store.remove(img.id);
    const fresh = new ContainerFilesystems({ layers: kit.layers, blobs: kit.blobs, images: kit.engine.images });
    await fresh.remove(a);
    expect(await kit.layers.refs(Digest.parse(base.diffId))).toEqual([img.id]);
  });
});
