// Push of the ~32 MiB bench image (the `big` fixture, pulled into a store first) to a fresh
// loopback docker-registry, in process, beside `skopeo copy` of the same image from its OCI
// layout on disk into another fresh registry: both read local blobs and upload them all
// (each registry is new, so nothing is skipped or mounted). Target: push <= 1.5x skopeo.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageService } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo, fixtureLayout, startRegistry } from '../test/support/index.ts';
import { run } from '../test/support/proc.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;

export async function benchPush(): Promise<BenchRow[]> {
  const src = await startRegistry();
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-bench-push-'));
  try {
    await src.push('big', 'big:1');
    const m = (await fixtureInfo('big')).manifests[0]!;
    const mib = (m.layerSizes.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(1);
    const layout = await fixtureLayout('big');
    const meta = await DirMetaStore.open(join(dir, 'meta'));
    const svc = new ImageService({
      registry: new RegistryClient({ insecureRegistries: ['127.0.0.0/8'], hasher: nodeSha256 }),
      blobs: await DirBlobStore.open(join(dir, 'store')),
      meta,
      layers: new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip }),
    });
    const img = (await svc.pull(`${src.host}/big:1`)).image;
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await startRegistry();
      try {
        await svc.tag(img.id, `${a.host}/big:1`);
        const t = performance.now();
        await svc.push(`${a.host}/big:1`);
        ours.push(performance.now() - t);
        await svc.remove(`${a.host}/big:1`);
      } finally {
        await a.stop();
      }
      const b = await startRegistry();
      try {
        const t = performance.now();
        await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', layout, `docker://${b.host}/big:1`]);
        theirs.push(performance.now() - t);
      } finally {
        await b.stop();
      }
    }
    const push = median(ours);
    const skopeo = median(theirs);
    return [{
      name: `push ${mib} MiB image to a fresh loopback registry (in process)`, value: push, unit: 'ms',
      baseline: 'skopeo copy oci: -> docker://, fresh registry', baselineValue: skopeo, target: '<= 1.5x baseline', pass: push <= 1.5 * skopeo,
    }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await src.stop();
  }
}
