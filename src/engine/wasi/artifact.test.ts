import { unpackTar } from 'modern-tar';
import { describe, expect, it } from 'vitest';
import { Digest, sha256 } from '../../registry-client/index.ts';
import type { ImageConfig } from '../../registry-client/index.ts';
import { wasmLayerDiffId, wasmLayerPaths, wasmLayerTar, withWasmEntrypoint } from './artifact.ts';

const digest = Digest.parse(`sha256:${'ab'.repeat(32)}`);
const layer = (mediaType: string, title?: string) => ({ mediaType, digest, size: 4, ...(title ? { annotations: { 'org.opencontainers.image.title': title } } : {}) });
const config = (c: ImageConfig['config'] = {}): ImageConfig => ({ os: 'wasi', architecture: 'wasm', rootfs: { type: 'layers', diff_ids: [] }, config: c });
const stream = (b: Uint8Array) => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(b), c.close()) });

describe('raw wasm layers', () => {
  it('places the module where the Entrypoint names it, else by title, else /module.wasm', () => {
    expect(wasmLayerPaths(config({ Entrypoint: ['/app/hello.wasm#run'] }), [layer('application/wasm', 'x.wasm')])).toEqual(['/app/hello.wasm']);
    expect(wasmLayerPaths(config({ Entrypoint: ['hello.wasm'], WorkingDir: '/srv' }), [layer('application/wasm')])).toEqual(['/srv/hello.wasm']);
    expect(wasmLayerPaths(config(), [layer('application/vnd.wasm.content.layer.v1+wasm', 'dir/my mod.wasm')])).toEqual(['/my_mod.wasm']);
    expect(wasmLayerPaths(config(), [layer('application/wasm'), layer('application/vnd.oci.image.layer.v1.tar'), layer('application/wasm')]))
      .toEqual(['/module.wasm', undefined, '/module-1.wasm']);
  });

  it('gives an artifact with no command its module as Entrypoint', () => {
    expect(withWasmEntrypoint(config(), ['/m.wasm']).config?.Entrypoint).toEqual(['/m.wasm']);
    expect(withWasmEntrypoint(config({ Cmd: ['/x.wasm'] }), ['/m.wasm']).config).toEqual({ Cmd: ['/x.wasm'] });
  });

  it('stores the module as a one-file tar, the same bytes every time', async () => {
    const module = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const tar = new Uint8Array(await new Response(wasmLayerTar('/app/hello.wasm', module.length, stream(module))).arrayBuffer());
    expect(tar.length % 512).toBe(0);
    const entries = await unpackTar(tar);
    expect(entries.map((e) => [e.header.name, e.header.type, e.header.mode, e.header.uid])).toEqual([['app/', 'directory', 0o755, 0], ['app/hello.wasm', 'file', 0o755, 0]]);
    expect(entries[1]!.data).toEqual(module);
    const id = await wasmLayerDiffId('/app/hello.wasm', module.length, stream(module));
    expect(id.equals(await sha256(tar))).toBe(true);
    expect((await wasmLayerDiffId('/app/hello.wasm', module.length, stream(module))).equals(id)).toBe(true);
    expect((await wasmLayerDiffId('/other.wasm', module.length, stream(module))).equals(id)).toBe(false);
  });
});
