// Pull of a ~32 MiB image from a real loopback registry, beside a plain download of the
// same blobs (manifest, config, layers: bodies read, nothing verified or stored).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageService } from '../src/engine/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo, startRegistry } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;

export async function benchPull(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  try {
    await reg.push('big', 'big:1');
    const info = await fixtureInfo('big');
    const m = info.manifests[0]!;
    const bytes = m.layerSizes.reduce((a, b) => a + b, 0);

    const plain: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
      await (await fetch(`${reg.url}/v2/big/manifests/1`, { headers: { accept } })).arrayBuffer();
      await Promise.all([m.configDigest, ...m.layerDigests].map(async (d) => {
        const res = await fetch(`${reg.url}/v2/big/blobs/${d}`);
        const r = res.body!.getReader();
        while (!(await r.read()).done);
      }));
      plain.push(performance.now() - t);

      const dir = mkdtempSync(join(tmpdir(), 'tabdock-bench-'));
      try {
        const svc = new ImageService({
          registry: new RegistryClient({ insecureRegistries: [reg.host], hasher: nodeSha256 }),
          blobs: await DirBlobStore.open(join(dir, 'store')),
          meta: await DirMetaStore.open(join(dir, 'meta')),
          gunzip: nodeGunzip,
        });
        t = performance.now();
        await svc.pull(`${reg.host}/big:1`);
        ours.push(performance.now() - t);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const p = median(plain);
    const o = median(ours);
    return [
      { name: `pull ${(bytes / 2 ** 20).toFixed(1)} MiB image (verify, inflate+diffID, store)`, value: o, unit: 'ms', baseline: 'plain download of the same blobs', baselineValue: p, target: '<= 1.5x baseline', pass: o <= 1.5 * p },
      { name: 'pull throughput', value: bytes / 2 ** 20 / (o / 1000), unit: 'MiB/s', baseline: 'plain download', baselineValue: bytes / 2 ** 20 / (p / 1000) },
    ];
  } finally {
    await reg.stop();
  }
}
