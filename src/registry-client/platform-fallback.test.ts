import { describe, expect, it } from 'vitest';
import { Digest } from './digest.ts';
import { selectPlatform, type ImageIndex } from './manifest.ts';
import { DEFAULT_PLATFORM, parsePlatform } from './platform.ts';

const d = (n: number) => Digest.parse(`sha256:${n.toString(16).padStart(64, '0')}`);
const index = (...platforms: { os: string; architecture: string; variant?: string }[]): ImageIndex => ({
  kind: 'index',
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: platforms.map((platform, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(i + 1), size: 1, platform })),
});
const EMULATED = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'].map(parsePlatform);

describe('platform fallback (emulated platforms, issue 16)', () => {
  it('without --platform, an index with no linux/386 gives the first fallback it has, by preference not by order', () => {
    const idx = index({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' });
    expect(selectPlatform(idx, DEFAULT_PLATFORM, 'x', true, EMULATED).digest).toEqual(d(2));
    expect(selectPlatform(index({ os: 'linux', architecture: 'arm', variant: 'v7' }), DEFAULT_PLATFORM, 'x', true, EMULATED).digest).toEqual(d(1));
  });

  it('linux/386 still wins when the index has it', () => {
    const idx = index({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' });
    expect(selectPlatform(idx, DEFAULT_PLATFORM, 'x', true, EMULATED).digest).toEqual(d(2));
  });

  it('an asked-for platform never falls back; what nothing runs is refused with the list and what runs', () => {
    expect(() => selectPlatform(index({ os: 'linux', architecture: 'amd64' }), parsePlatform('linux/arm64'), 'x', false, EMULATED)).toThrow(/no matching manifest for linux\/arm64/);
    expect(() => selectPlatform(index({ os: 'linux', architecture: 's390x' }), DEFAULT_PLATFORM, 'x', true, EMULATED))
      .toThrow('no matching manifest for linux/386 in the manifest list entries of x; it has linux/s390x. tabdock runs 32-bit x86 (linux/386) images, what its emulator runs natively, and linux/amd64, linux/arm64, linux/arm/v7 through QEMU emulation.');
  });
});
