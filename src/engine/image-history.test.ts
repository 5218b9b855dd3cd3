import { describe, expect, it } from 'vitest';
import type { ImageRecord } from './image-record.ts';
import { imageHistory } from './image-history.ts';
import { freedBytes } from './image-prune.ts';

const layer = (n: number, size: number) => ({ digest: `sha256:${String(n).repeat(64)}`, size, mediaType: 'x', diffId: `sha256:${String(n + 1).repeat(64)}`, uncompressedSize: size });

function image(history: NonNullable<ImageRecord['config']['history']> | undefined, layers: ReturnType<typeof layer>[]): ImageRecord {
  return {
    id: 'sha256:' + 'c'.repeat(64), repoTags: ['docker.io/library/x:latest'], repoDigests: [], manifestDigest: 'sha256:' + 'd'.repeat(64), manifestMediaType: 'x',
    platform: { os: 'linux', architecture: '386' }, layers, config: { architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...(history ? { history } : {}) },
    size: 0, pulledAt: '', lastTagTime: '',
  } as ImageRecord;
}

describe('imageHistory', () => {
  it('gives each non-empty step the next layer, newest first, the image ID on top', () => {
    const h = imageHistory(image([
      { created: '2026-01-01T00:00:00Z', created_by: 'ADD rootfs' },
      { created: '2026-01-02T00:00:00Z', created_by: 'ENV A=b', empty_layer: true },
      { created: '2026-01-03T00:00:00Z', created_by: 'RUN make', comment: 'c' },
      { created: '2026-01-04T00:00:00Z', created_by: 'CMD sh', empty_layer: true },
    ], [layer(1, 100), layer(3, 7)]));
    expect(h.map((x) => [x.id.slice(0, 9), x.createdBy, x.size, x.comment])).toEqual([
      ['sha256:cc', 'CMD sh', 0, ''], ['<missing>', 'RUN make', 7, 'c'], ['<missing>', 'ENV A=b', 0, ''], ['<missing>', 'ADD rootfs', 100, ''],
    ]);
    expect(h[0]!.tags).toEqual(['docker.io/library/x:latest']);
  });

  it("has no rows when the config has no history, and refuses a history with more layers than the image (moby's)", () => {
    expect(imageHistory(image(undefined, [layer(1, 5), layer(3, 6)]))).toEqual([]);
    expect(() => imageHistory(image([{ created_by: 'ADD a' }, { created_by: 'ADD b' }], [layer(1, 5)]))).toThrow('too many non-empty layers in History section');
  });

  it('counts freed layers once, and not those a remaining image shares', () => {
    const a = image(undefined, [layer(1, 100), layer(3, 7)]);
    const b = image(undefined, [layer(1, 100), layer(5, 9)]);
    expect(freedBytes([a], [b])).toBe(7);
    expect(freedBytes([a, b], [])).toBe(116);
  });
});
