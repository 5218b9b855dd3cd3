// Runs in real Chromium (served by the Vite dev server): the IndexedDB stores and the layer
// store on them, as the page's worker will use them. Results go back to the test as JSON.
import { packTar } from 'modern-tar';
import { IdbBlobStore, IdbMetaStore, LayerStore, lookupPath, readFile } from '../../src/fs-layers/index.ts';
import { sha256 } from '../../src/registry-client/index.ts';

type Check = Record<string, unknown>;

async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function gzip(b: Uint8Array): Promise<Uint8Array> {
  return bytesOf(new Blob([b as BlobPart]).stream().pipeThrough(new CompressionStream('gzip')) as ReadableStream<Uint8Array>);
}

/** Writes a blob, a record and an unpacked layer under `name`. */
async function write(name: string): Promise<Check> {
  const blobs = await IdbBlobStore.open(`${name}-blobs`);
  const meta = await IdbMetaStore.open(`${name}-meta`);
  const data = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i += 4096) crypto.getRandomValues(data.subarray(i, Math.min(i + 4096, data.length)));
  const d = await sha256(data);
  await blobs.put(d, data);
  const wrong = await blobs.put(await sha256(new Uint8Array([1])), data).then(() => 'stored', (e: { code?: string }) => e.code);
  await meta.put('image/x', { tags: ['busybox:latest'] });

  const tar = await packTar([
    { header: { name: 'etc/hostname', size: 8, type: 'file', mode: 0o644 }, body: new TextEncoder().encode('tabdock\n') },
    { header: { name: 'bin/big', size: data.length, type: 'file', mode: 0o755 }, body: data },
  ]);
  const diffId = await sha256(tar);
  const layers = new LayerStore({ chunks: await IdbBlobStore.open(`${name}-chunks`), meta });
  await layers.unpack({ diffId, source: new Blob([(await gzip(tar)) as BlobPart]).stream() as ReadableStream<Uint8Array>, compression: 'gzip', what: 'test layer' });
  return { digest: d.toString(), diffId: diffId.toString(), wrongDigest: wrong, size: data.length };
}

/** Reads everything back, in a fresh page (after a reload) or the same one. */
async function read(name: string, digest: string, diffId: string): Promise<Check> {
  const { Digest } = await import('../../src/registry-client/index.ts');
  const blobs = await IdbBlobStore.open(`${name}-blobs`);
  const meta = await IdbMetaStore.open(`${name}-meta`);
  const d = Digest.parse(digest);
  const whole = await bytesOf((await blobs.get(d))!);
  const part = await blobs.read(d, 1_000_000, 10);
  const layers = new LayerStore({ chunks: await IdbBlobStore.open(`${name}-chunks`), meta });
  const tree = await layers.imageTree([Digest.parse(diffId)]);
  const host = lookupPath(tree.root, 'etc/hostname');
  const big = lookupPath(tree.root, 'bin/big');
  const hostText = host ? new TextDecoder().decode(await readFile(layers.cache, host, 0, host.size)) : undefined;
  const bigSlice = big ? await readFile(layers.cache, big, 1_000_000, 10) : undefined;
  return {
    has: await blobs.has(d),
    wholeDigest: (await sha256(whole)).toString(),
    partEqualsBlobSlice: part !== undefined && bigSlice !== undefined && part.every((v, i) => v === bigSlice[i]),
    meta: await meta.get('image/x'),
    keys: await meta.keys('image/'),
    hostname: hostText,
    bigMode: big?.mode,
  };
}

/** A cap on the store: a write past it fails with STORE_FULL and leaves nothing. */
async function full(name: string): Promise<Check> {
  const blobs = await IdbBlobStore.open(`${name}-capped`, { maxBytes: 1024 * 1024 });
  const data = new Uint8Array(2 * 1024 * 1024).fill(7);
  const d = await sha256(data);
  const err = await blobs.put(d, data).then(() => undefined, (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }));
  return { err, has: await blobs.has(d), usage: await blobs.usage() };
}

/**
 * The origin's quota as the store's room (originSpace, what the page's engine uses): a
 * container writes 1 MiB at a time until a write is refused; what was accepted is saved
 * (IndexedDB enforces the quota: a write past it would fail at the flush instead).
 */
async function quota(name: string, quotaBytes: number): Promise<Check> {
  const { originSpace } = await import('../../src/engine/browser/origin-space.ts');
  const { ContainerFs, errnoOf } = await import('../../src/fs-layers/index.ts');
  // Chromium enforces a quota set through the DevTools protocol but does not report it in
  // estimate(): the quota is the test's, the usage is the browser's own figure.
  const space = await originSpace({ estimate: async () => ({ quota: quotaBytes, usage: (await navigator.storage.estimate()).usage }) });
  const chunks = await IdbBlobStore.open(`${name}-chunks`, { space });
  const meta = await IdbMetaStore.open(`${name}-meta`);
  const layers = new LayerStore({ chunks, meta });
  const tar = await packTar([{ header: { name: 'tmp/', type: 'directory', mode: 0o755, size: 0 } }]);
  const diffId = await sha256(tar);
  await layers.unpack({ diffId, source: new Blob([tar as BlobPart]).stream() as ReadableStream<Uint8Array>, compression: 'none', what: 'base' });
  const fs = await ContainerFs.open(layers, 'q', [diffId]);
  const f = fs.create(fs.root, 'fill', 'f', { mode: 0o644, uid: 0, gid: 0 });
  const MiB = 1 << 20;
  let accepted = 0;
  let errno: number | undefined;
  let syncError: string | undefined;
  for (let i = 0; i < 512 && errno === undefined; i++) {
    const piece = new Uint8Array(MiB);
    for (let j = 0; j < MiB; j += 65536) crypto.getRandomValues(piece.subarray(j, j + 65536));
    try {
      await fs.write(f, accepted, piece);
      accepted += MiB;
      // Saved as it goes, as the engine's background flush does.
      if (accepted % (8 * MiB) === 0) await fs.sync();
    } catch (e) {
      errno = errnoOf(e);
    }
  }
  try {
    await fs.sync();
  } catch (e) {
    syncError = String((e as Error).message);
  }
  await fs.close();
  const again = await ContainerFs.open(layers, 'q', [diffId]);
  const size = again.lookup(again.root, 'fill').size;
  await again.close();
  return { accepted, errno, syncError, size, held: space.held };
}

Object.assign(globalThis, { tabdockIdb: { write, read, full, quota } });
document.title = 'ready';
