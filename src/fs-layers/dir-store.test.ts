import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../registry-client/index.ts';
import { DirBlobStore } from './dir-store.ts';

const root = mkdtempSync(join(tmpdir(), 'tabdock-readnow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// readNow answers the 9P server's reads at once; "missing" sends it to the slow path, so an
// I/O error must not pass for a missing blob (a bad disk would look like an empty cache).
describe('DirBlobStore.readNow', () => {
  it('reports only a missing file as missing, and throws on an I/O error', async () => {
    const store = await DirBlobStore.open(root);
    const data = new TextEncoder().encode('some bytes');
    const d = await sha256(data);
    expect(store.readNow(d, 0, new Uint8Array(4))).toBeUndefined();
    await store.put(d, data);
    const dst = new Uint8Array(4);
    expect(store.readNow(d, 5, dst)).toBe(4);
    expect(new TextDecoder().decode(dst)).toBe('byte');
    // The blob's path is a directory now: open works, read fails with EISDIR.
    const other = await sha256(new TextEncoder().encode('other'));
    mkdirSync(join(root, 'blobs', 'sha256', other.hex));
    expect(() => store.readNow(other, 0, new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });
});
