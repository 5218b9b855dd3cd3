// Which guest files the dev server and the build hand the page: never a snapshot that does
// not fit this kernel, initramfs, v86 and port layout (the page would restore a state into the wrong
// machine), always the one that does. Real files: the checkout's snapshot and copies of it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SNAPSHOT_PATH } from './node.ts';
import { collectGuestAssets } from './vite-guest-assets.ts';

const dir = mkdtempSync(join(tmpdir(), 'tabdock-assets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const realMeta = JSON.parse(readFileSync(DEFAULT_SNAPSHOT_PATH.replace(/\.bin\.zst$/, '.json'), 'utf8')) as Record<string, unknown>;

/** A snapshot beside its metadata under `name`, the state bytes the checkout's. */
function snapshot(name: string, meta: Record<string, unknown> | undefined): string {
  const path = join(dir, `${name}.bin.zst`);
  copyFileSync(DEFAULT_SNAPSHOT_PATH, path);
  if (meta) writeFileSync(join(dir, `${name}.json`), JSON.stringify(meta));
  return path;
}

describe('collectGuestAssets', () => {
  it('serves the snapshot that fits (the checkout has one: the global setup checks it)', () => {
    const { manifest, assets } = collectGuestAssets({ snapshotPath: snapshot('fits', realMeta) });
    expect(manifest.files.state).toMatch(/^fits\.[0-9a-f]{12}\.bin\.zst$/);
    expect(assets.map((a) => a.path)).toContain(join(dir, 'fits.bin.zst'));
  });

  it('names the memory the state was saved with (a page asking for other memory boots from scratch)', () => {
    const { manifest } = collectGuestAssets({ snapshotPath: snapshot('mem', realMeta) });
    expect(manifest.stateMemoryBytes).toBe(realMeta['memoryBytes']);
    const none = collectGuestAssets({ snapshotPath: snapshot('mem-none', undefined) }).manifest;
    expect(none.stateMemoryBytes).toBeUndefined();
  });

  it('hands the page (and the built site) the QEMU emulators, each with its committed sum', () => {
    const { manifest, assets } = collectGuestAssets({ snapshotPath: snapshot('emu', realMeta) });
    const sums = new Map(readFileSync(join(import.meta.dirname, '../../kernel/SHA256SUMS'), 'utf8').trim().split('\n').map((l) => [l.split(/\s+/)[1]!, l.split(/\s+/)[0]!] as const));
    expect(Object.keys(manifest.emulators ?? {}).sort()).toEqual(['qemu-aarch64.zst', 'qemu-arm.zst', 'qemu-x86_64.zst']);
    for (const [file, e] of Object.entries(manifest.emulators!)) {
      expect(e.sha256).toBe(sums.get(file));
      expect(e.name).toMatch(new RegExp(`^${file.replace('.zst', '')}\\.[0-9a-f]{12}\\.zst$`));
      expect(assets.map((a) => a.name)).toContain(e.name);
      expect(manifest.sizes[e.name]).toBeGreaterThan(1_000_000);
    }
  });

  it.each([
    ['made with another v86', { ...realMeta, v86: '0.0.1' }],
    ['made with another kernel', { ...realMeta, bzImageSha256: '0'.repeat(64) }],
    ['made with another initramfs', { ...realMeta, initrdSha256: '0'.repeat(64) }],
    ['saved with the built-in 9P device', { ...realMeta, ninep: 'builtin' }],
    ['saved before the bulk port (every port a console)', { ...realMeta, bulkPort: undefined }],
    ['without its metadata', undefined],
  ])('does not serve a snapshot %s', (name, meta) => {
    const { manifest, assets } = collectGuestAssets({ snapshotPath: snapshot(name.replace(/\W+/g, '-'), meta) });
    expect(manifest.files.state).toBeUndefined();
    expect(assets.some((a) => a.path.endsWith('.bin.zst'))).toBe(false);
    // The rest of the guest is served: the page cold-boots instead.
    expect(Object.keys(manifest.files).sort()).toEqual(['bios', 'bzImage', 'initrd', 'wasm']);
  });
});
