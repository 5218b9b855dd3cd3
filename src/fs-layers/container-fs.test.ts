import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../registry-client/index.ts';
import { readFile } from './chunk-cache.ts';
import { ContainerFs } from './container-fs.ts';
import { FsError } from './fs-error.ts';
import type { Inode } from './inode.ts';
import { CHUNK } from './layer-entry.ts';
import { changes, exportLayer } from './layer-export.ts';
import type { LayerStore } from './layer-store.ts';
import { BACKENDS, dir, file, special, tarLayer, unpackTar, type StoreKit, noise } from './test-helpers.ts';

const kits: StoreKit[] = [];
afterAll(() => kits.forEach((k) => k.cleanup()));
const enc = (s: string) => new TextEncoder().encode(s);
/** Every name with its kind, mode, owner, link target and content digest. */
async function snapshot(layers: LayerStore, root: Inode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (n: Inode, path: string) => {
    for (const [name, c] of [...n.children!].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = path ? `${path}/${name}` : name;
      let desc = `${c.kind} ${c.mode.toString(8)} ${c.uid}:${c.gid}`;
      if (c.kind === 'f') desc += ` ${c.size} ${(await sha256(await readFile(layers.cache, c, 0, c.size))).short}`;
      if (c.kind === 'l') desc += ` -> ${c.target}`;
      out[p] = desc;
      if (c.kind === 'd') await walk(c, p);
    }
  };
  await walk(root, '');
  return out;
}

const errno = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as FsError).errno;
  }
  return 0;
};

for (const [backend, open] of Object.entries(BACKENDS)) {
  describe(`container writable layer on ${backend}`, () => {
    it('a 16 TB sparse file costs what was written, not its size: saved, reloaded, read back', async () => {
      const k = await open();
      kits.push(k);
      const base = await tarLayer([dir('tmp/')]);
      await unpackTar(k.layers, base);
      const TB16 = 16 * 2 ** 40;
      const fs = await ContainerFs.open(k.layers, 'sparse16', [base.diffId], () => 1_700_000_000);
      const tmp = fs.lookup(fs.root, 'tmp');
      const holes = [fs.create(tmp, 'a', 'f', { mode: 0o644, uid: 0, gid: 0 }), fs.create(tmp, 'b', 'f', { mode: 0o644, uid: 0, gid: 0 })];
      const heap = process.memoryUsage().heapUsed;
      for (const n of holes) {
        await fs.setattr(n, { size: TB16 }); // truncate -s 16T
        await fs.write(n, 0, enc('head'));
        await fs.write(n, TB16 - 4, enc('tail'));
      }
      await fs.sync();
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 2 ** 20);
      // The journal holds a few entries per file, not one per 256 KiB of apparent size.
      let journal = 0;
      for (const key of await k.layers.meta.keys('fsl/rw/sparse16/')) journal += JSON.stringify(await k.layers.meta.get(key)).length;
      expect(journal).toBeLessThan(64 * 1024);
      await fs.close();
      const again = await ContainerFs.open(k.layers, 'sparse16', [base.diffId], () => 1_700_000_000);
      const a = again.lookup(again.lookup(again.root, 'tmp'), 'a');
      expect(a.size).toBe(TB16);
      expect(new TextDecoder().decode(await readFile(k.layers.cache, a, 0, 4))).toBe('head');
      expect(new TextDecoder().decode(await readFile(k.layers.cache, a, TB16 - 4, 4))).toBe('tail');
      expect(await readFile(k.layers.cache, a, TB16 / 2, 8)).toEqual(new Uint8Array(8));
      await again.close();
    }, 60_000);

    it('copy-up, whiteouts, renames, links; survives a reload; docker diff; export applies back to the same tree', async () => {
      const k = await open();
      kits.push(k);
      const big = noise(4 * CHUNK + 100, 3);
      const base = await tarLayer([
        dir('etc/'), file('etc/hostname', 'base\n'), file('etc/motd', 'hi\n'),
        dir('srv/'), dir('srv/data/'), file('srv/data/a.txt', 'a\n'), file('srv/data/b.txt', 'b\n'),
        file('big.bin', big), special('bin/sh', 'symlink', 'busybox'),
      ]);
      await unpackTar(k.layers, base);
      const fs = await ContainerFs.open(k.layers, 'c1', [base.diffId], () => 1_700_000_000);
      const root = fs.root;
      const etc = fs.lookup(root, 'etc');
      // Writes to a lower file; appends to a big one store only the chunks touched.
      await fs.write(fs.lookup(etc, 'hostname'), 0, enc('box1\n'));
      const before = (await k.chunks.list()).length;
      const bigN = fs.lookup(root, 'big.bin');
      await fs.write(bigN, big.length, enc('tail'));
      await fs.sync();
      expect((await k.chunks.list()).length - before).toBe(2); // hostname chunk + last chunk of big.bin
      // New files, a hard link, a symlink, a fifo, chmod/chown, xattrs, sparse truncate.
      const n = fs.create(etc, 'new.conf', 'f', { mode: 0o600, uid: 1, gid: 1 });
      await fs.write(n, 0, enc('x=1\n'));
      fs.link(root, 'hard', n);
      fs.link(root, 'hard2', n);
      fs.create(root, 'ln', 'l', { mode: 0o777, uid: 0, gid: 0, target: '/etc/new.conf' });
      fs.create(root, 'pipe', 'p', { mode: 0o644, uid: 0, gid: 0 });
      await fs.setattr(fs.lookup(etc, 'motd'), { mode: 0o400, uid: 7 });
      fs.setxattr(fs.lookup(etc, 'motd'), 'user.tag', 'v');
      const sparse = fs.create(root, 'sparse', 'f', { mode: 0o644, uid: 0, gid: 0 });
      await fs.setattr(sparse, { size: 3 * CHUNK });
      await fs.write(sparse, 3 * CHUNK - 2, enc('zz'));
      // Deletion of a lower file, rename of a lower directory, rmdir rules.
      fs.unlink(etc, 'hostname', false);
      expect(errno(() => fs.unlink(root, 'srv', true))).toBe(39); // ENOTEMPTY
      expect(errno(() => fs.unlink(root, 'srv', false))).toBe(21); // EISDIR
      expect(errno(() => fs.lookup(etc, 'hostname'))).toBe(2);
      fs.rename(root, 'srv', root, 'var');
      fs.rename(fs.lookup(root, 'var'), 'data', root, 'moved');
      fs.unlink(fs.lookup(root, 'moved'), 'b.txt', false);
      fs.create(root, 'srv', 'd', { mode: 0o755, uid: 0, gid: 0 }); // a new dir where a lower one was
      expect(errno(() => fs.rename(root, 'var', fs.lookup(root, 'var'), 'x'))).toBe(22); // EINVAL: into itself
      // Rename over an existing file replaces it.
      const tmp = fs.create(etc, 'motd.new', 'f', { mode: 0o644, uid: 0, gid: 0 });
      await fs.write(tmp, 0, enc('fresh\n'));
      fs.rename(etc, 'motd.new', etc, 'new.conf');
      expect(fs.lookup(root, 'hard')).toBe(n);
      expect(n.nlink).toBe(2);

      expect(changes(fs).map((c) => `${c.kind} ${c.path}`)).toEqual([
        'C /big.bin', 'C /etc', 'D /etc/hostname', 'C /etc/motd', 'A /etc/new.conf', 'A /hard', 'A /hard2', 'A /ln', 'A /moved',
        'A /moved/a.txt', 'A /pipe', 'A /sparse', 'C /srv', 'A /var',
      ]);
      const want = await snapshot(k.layers, root);
      expect(want['sparse']).toMatch(/^f 644 0:0 786432 /);
      expect(Buffer.compare(await fs.read(sparse, 0, 3 * CHUNK - 2), new Uint8Array(3 * CHUNK - 2))).toBe(0);
      expect(Buffer.compare(await fs.read(bigN, 0, big.length), big)).toBe(0);
      expect(new TextDecoder().decode(await fs.read(bigN, big.length, 10))).toBe('tail');
      await fs.close();

      // A reload: same tree from the records alone.
      const again = await k.reopen();
      const fs2 = await ContainerFs.open(again.layers, 'c1', [base.diffId]);
      expect(await snapshot(again.layers, fs2.root)).toEqual(want);
      expect(changes(fs2)).toEqual(changes(fs));
      expect(fs2.lookup(fs2.root, 'hard')).toBe(fs2.lookup(fs2.root, 'hard2'));
      expect(new TextDecoder().decode(await fs2.read(fs2.lookup(fs2.root, 'hard'), 0, 100))).toBe('x=1\n');
      expect(fs2.getxattr(fs2.lookup(fs2.lookup(fs2.root, 'etc'), 'motd'), 'user.tag')).toBe('v');

      // Export as an OCI layer; the image plus that layer is the container's tree.
      const tar = new Uint8Array(await new Response(exportLayer(fs2)).arrayBuffer());
      const diffId = await sha256(tar);
      await unpackTar(again.layers, { tar, diffId });
      const committed = await again.layers.imageTree([base.diffId, diffId]);
      const got = await snapshot(again.layers, committed.root);
      expect(got).toEqual(want);

      // Removing the container frees its records and its layer reference.
      await fs2.remove();
      expect(await again.meta.keys('fsl/rw/c1/')).toEqual([]);
      expect(await again.layers.refs(base.diffId)).toEqual([]);
    });

    it('the journal compacts: many flushes, few records, same tree after a reload', async () => {
      const k = await open();
      kits.push(k);
      const base = await tarLayer([file('f', 'lower\n')]);
      await unpackTar(k.layers, base);
      const fs = await ContainerFs.open(k.layers, 'j', [base.diffId]);
      for (let i = 0; i < 150; i++) {
        const n = fs.create(fs.root, `n${i}`, 'f', { mode: 0o644, uid: 0, gid: 0 });
        await fs.write(n, 0, enc(`${i}`));
        if (i % 2) fs.unlink(fs.root, `n${i - 1}`, false);
        await fs.sync();
      }
      expect((await k.meta.keys('fsl/rw/j/')).length).toBeLessThanOrEqual(65);
      const want = await snapshot(k.layers, fs.root);
      const again = await k.reopen();
      const fs2 = await ContainerFs.open(again.layers, 'j', [base.diffId]);
      expect(await snapshot(again.layers, fs2.root)).toEqual(want);
      expect(Object.keys(want).length).toBe(76);
    });

    it('two containers of one image do not see each other', async () => {
      const k = await open();
      kits.push(k);
      const base = await tarLayer([file('f', 'lower\n')]);
      await unpackTar(k.layers, base);
      const a = await ContainerFs.open(k.layers, 'a', [base.diffId]);
      const b = await ContainerFs.open(k.layers, 'b', [base.diffId]);
      await a.write(a.lookup(a.root, 'f'), 0, enc('upper'));
      b.unlink(b.root, 'f', false);
      expect(new TextDecoder().decode(await a.read(a.lookup(a.root, 'f'), 0, 100))).toBe('upper\n');
      expect(errno(() => b.lookup(b.root, 'f'))).toBe(2);
      const img = await k.layers.imageTree([base.diffId]);
      expect(new TextDecoder().decode(await readFile(k.layers.cache, img.root.children!.get('f')!, 0, 100))).toBe('lower\n');
      await a.close();
      await b.close();
    });
  });
}
