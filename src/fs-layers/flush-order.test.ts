import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Digest } from '../registry-client/index.ts';
import { ContainerFs } from './container-fs.ts';
import { DirBlobStore, DirMetaStore } from './dir-store.ts';
import { CHUNK } from './layer-entry.ts';
import { LayerStore } from './layer-store.ts';
import { dir, file, streamOf, tarLayer, noise } from './test-helpers.ts';

// The record naming chunks is the last thing written: every chunk it names is durable under
// its name (fsynced, renamed, directory fsynced) before the record's put starts. Real
// directory stores, with their methods wrapped to log the order and to look at the disk at
// the moment the record is written.
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

interface Seen {
  log: string[];
  /** For each record put: the chunks it names that were not yet on disk under their name. */
  unnamedAtRecord: string[][];
}

async function spiedStores(flushGate?: Promise<void>) {
  const root = mkdtempSync(join(tmpdir(), 'tabdock-flush-order-'));
  roots.push(root);
  const chunks = await DirBlobStore.open(join(root, 'chunks'));
  const meta = await DirMetaStore.open(join(root, 'meta'));
  const seen: Seen = { log: [], unnamedAtRecord: [] };
  const named = (hex: string) => existsSync(join(root, 'chunks', 'blobs', 'sha256', hex));
  const put = chunks.put.bind(chunks);
  chunks.put = async (d, data, o) => {
    await put(d, data, o);
    seen.log.push(`put ${o?.flushLater ? 'later' : 'now'}${named(d.hex) ? ' named' : ''}`);
  };
  const flush = chunks.flush.bind(chunks);
  chunks.flush = async (ds) => {
    const list = [...ds];
    seen.log.push(`flush ${list.length}`);
    await flushGate; // a slow disk
    await flush(list);
    seen.log.push('flushed');
  };
  const metaPut = meta.put.bind(meta);
  meta.put = async (key, value) => {
    if (key.startsWith('fsl/layer/') || key.startsWith('fsl/rw/')) {
      const hexes = chunkHexes(value);
      seen.log.push(`record ${key.split('/')[1]} (${hexes.length} chunks)`);
      seen.unnamedAtRecord.push(hexes.filter((h) => !named(h)));
    }
    await metaPut(key, value);
  };
  return { root, chunks, meta, seen, layers: new LayerStore({ chunks, meta }) };
}

/** Chunks a layer record or a journal segment names. */
function chunkHexes(v: unknown): string[] {
  const out = new Set<string>();
  const r = v as { entries?: { c?: (string | null)[] }[]; i?: Record<string, { c?: (string | null)[]; cs?: [number, string][] } | null> };
  for (const e of r.entries ?? []) for (const c of e.c ?? []) if (c) out.add(c);
  for (const n of Object.values(r.i ?? {})) {
    for (const c of n?.c ?? []) if (c) out.add(c);
    for (const [, c] of n?.cs ?? []) out.add(c);
  }
  return [...out];
}

/** The log with runs of chunk puts folded into one line. */
const folded = (log: string[]) => log.filter((l, i) => !(l.startsWith('put ') && log[i - 1] === l));

describe('chunks are flushed before the record that names them (directory store)', () => {
  it('unpack: chunk puts without fsync, one flush of them all, then the layer record', async () => {
    const s = await spiedStores();
    const l = await tarLayer([file('a.bin', noise(5 * CHUNK + 7, 1)), file('b.bin', noise(CHUNK, 2))]);
    const r = await s.layers.unpack({ diffId: l.diffId, source: streamOf(l.tar), compression: 'none', what: 'test layer' });
    expect(folded(s.seen.log)).toEqual(['put later', 'flush 7', 'flushed', 'record layer (7 chunks)']);
    expect(s.seen.unnamedAtRecord).toEqual([[]]);
    // No chunk had its name (was made durable) at its put: they all waited for the flush.
    expect(s.seen.log.filter((x) => x === 'put later named')).toEqual([]);
    expect(r.entries.flatMap((e) => e.c ?? []).length).toBe(7);
  });

  it('unpackPending (a pull): the flush runs while the diff ID is awaited, and ends before the record', async () => {
    const s = await spiedStores();
    const l = await tarLayer([file('a.bin', noise(3 * CHUNK, 3))]);
    let release!: () => void;
    const configHere = new Promise<void>((res) => (release = res));
    const pending = s.layers.unpackPending({
      source: streamOf(l.tar), compression: 'none', what: 'test layer',
      expected: async () => {
        s.seen.log.push('expected asked');
        await configHere;
        return l.diffId;
      },
    });
    // The config is late: the record waits for it, the flush does not.
    await expect.poll(() => s.seen.log.includes('flushed'), { timeout: 10_000 }).toBe(true);
    expect(s.seen.log.some((x) => x.startsWith('record'))).toBe(false);
    release();
    await pending;
    expect(folded(s.seen.log)).toEqual(['put later', 'flush 3', 'expected asked', 'flushed', 'record layer (3 chunks)']);
    expect(s.seen.unnamedAtRecord).toEqual([[]]);
  });

  it('unpackPending on a slow disk: the diff ID is known at once, the record still waits for the flush', async () => {
    let release!: () => void;
    const s = await spiedStores(new Promise<void>((res) => (release = res)));
    const l = await tarLayer([file('a.bin', noise(3 * CHUNK, 6))]);
    const pending = s.layers.unpackPending({ source: streamOf(l.tar), compression: 'none', what: 'test layer', expected: async () => l.diffId });
    await expect.poll(() => s.seen.log.includes('flush 3'), { timeout: 10_000 }).toBe(true);
    // Give the record every chance to jump ahead: several turns of the event loop.
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    expect(s.seen.log.some((x) => x.startsWith('record'))).toBe(false);
    release();
    await pending;
    expect(folded(s.seen.log)).toEqual(['put later', 'flush 3', 'flushed', 'record layer (3 chunks)']);
    expect(s.seen.unnamedAtRecord).toEqual([[]]);
  });

  it('a refused diff ID writes no record; its chunks were never named', async () => {
    const s = await spiedStores();
    const l = await tarLayer([file('a.bin', noise(2 * CHUNK, 4))]);
    const other = Digest.fromHex('ab'.repeat(32));
    await expect(s.layers.unpackPending({ source: streamOf(l.tar), compression: 'none', what: 'x', expected: async () => other }))
      .rejects.toMatchObject({ code: 'DIFF_ID_MISMATCH' });
    expect(s.seen.log.some((x) => x.startsWith('record'))).toBe(false);
    expect(await s.layers.gc()).toMatchObject({ chunks: 2 });
  });

  it('writable layer: the chunks a journal segment names are flushed before it', async () => {
    const s = await spiedStores();
    const base = await tarLayer([dir('tmp/')]);
    await s.layers.unpack({ diffId: base.diffId, source: streamOf(base.tar), compression: 'none', what: 'base' });
    s.seen.log.length = 0;
    s.seen.unnamedAtRecord.length = 0;
    const fs = await ContainerFs.open(s.layers, 'c1', [base.diffId], () => 1_700_000_000);
    const n = fs.create(fs.lookup(fs.root, 'tmp'), 'f', 'f', { mode: 0o644, uid: 0, gid: 0 });
    await fs.write(n, 0, noise(2 * CHUNK + 5, 5));
    await fs.sync();
    expect(folded(s.seen.log)).toEqual(['put later', 'flush 3', 'flushed', 'record rw (3 chunks)']);
    expect(s.seen.unnamedAtRecord).toEqual([[]]);
    await fs.close();
  });
});
