import { describe, expect, it } from 'vitest';
import { Digest } from './digest.ts';
import { parseWasmArtifactConfig } from './image-config.ts';
import { selectPlatform, type ImageIndex } from './manifest.ts';
import { isWasmConfig, isWasmLayer } from './media-types.ts';
import { DEFAULT_PLATFORM, isWasiPlatform, parsePlatform, platformMatches } from './platform.ts';

const d = (n: number) => Digest.parse(`sha256:${n.toString(16).padStart(64, '0')}`);
const index = (...platforms: { os: string; architecture: string }[]): ImageIndex => ({
  kind: 'index',
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: platforms.map((platform, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(i + 1), size: 1, platform })),
});

describe('WASI platforms', () => {
  it('wasi/wasm and wasip1/wasm are one ABI; wasip2 is not', () => {
    expect(platformMatches(parsePlatform('wasi/wasm'), { os: 'wasip1', architecture: 'wasm' })).toBe(true);
    expect(platformMatches(parsePlatform('wasip1/wasm'), { os: 'wasi', architecture: 'wasm' })).toBe(true);
    expect(platformMatches(parsePlatform('wasi/wasm'), { os: 'wasip2', architecture: 'wasm' })).toBe(false);
    expect(isWasiPlatform({ os: 'wasip2', architecture: 'wasm' })).toBe(false);
    expect(platformMatches(DEFAULT_PLATFORM, { os: 'wasi', architecture: 'wasm' })).toBe(false);
  });

  it('takes the only platform of an index when it is WASI and none was asked for', () => {
    expect(selectPlatform(index({ os: 'wasip1', architecture: 'wasm' }), DEFAULT_PLATFORM, 'x', true).digest).toEqual(d(1));
    // Asked for linux/386 outright: no.
    expect(() => selectPlatform(index({ os: 'wasip1', architecture: 'wasm' }), DEFAULT_PLATFORM, 'x', false)).toThrow(/no matching manifest for linux\/386/);
    // Not the only one: the sentence says how to get it.
    expect(() => selectPlatform(index({ os: 'linux', architecture: 'amd64' }, { os: 'wasi', architecture: 'wasm' }), DEFAULT_PLATFORM, 'x', true))
      .toThrow(/it has linux\/amd64, wasi\/wasm\..*add --platform wasi\/wasm/);
    expect(selectPlatform(index({ os: 'linux', architecture: 'amd64' }, { os: 'wasi', architecture: 'wasm' }), parsePlatform('wasi/wasm'), 'x').digest).toEqual(d(2));
  });
});

describe('WebAssembly artifacts', () => {
  it('knows the raw module layer and artifact config media types', () => {
    expect(isWasmLayer('application/wasm')).toBe(true);
    expect(isWasmLayer('application/vnd.wasm.content.layer.v1+wasm')).toBe(true);
    expect(isWasmLayer('application/vnd.bytecodealliance.wasm.component.layer.v0+wasm')).toBe(true);
    expect(isWasmLayer('application/vnd.oci.image.layer.v1.tar+gzip')).toBe(false);
    expect(isWasmConfig('application/vnd.wasm.config.v0+json')).toBe(true);
    expect(isWasmConfig('application/vnd.oci.image.config.v1+json')).toBe(false);
  });

  it('makes an image config of wasm-to-oci\'s {} and of the CNCF config', () => {
    const empty = parseWasmArtifactConfig(new TextEncoder().encode('{}'), [d(7)], 'x');
    expect(empty).toMatchObject({ os: 'wasi', architecture: 'wasm', rootfs: { type: 'layers', diff_ids: [d(7).toString()] } });
    expect(empty.diffIds).toEqual([d(7)]);
    const cncf = parseWasmArtifactConfig(new TextEncoder().encode(JSON.stringify({ created: '2025-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [d(7).toString()] })), [d(7)], 'x');
    expect(cncf).toMatchObject({ os: 'wasip1', architecture: 'wasm', created: '2025-01-01T00:00:00Z' });
    const withConfig = parseWasmArtifactConfig(new TextEncoder().encode(JSON.stringify({ os: 'wasi', architecture: 'wasm', config: { Entrypoint: ['/a.wasm'] } })), [d(7)], 'x');
    expect(withConfig.config?.Entrypoint).toEqual(['/a.wasm']);
    expect(() => parseWasmArtifactConfig(new TextEncoder().encode('nope'), [d(7)], 'x')).toThrow(/not JSON/);
  });
});
