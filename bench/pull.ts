// Pull of a ~32 MiB image from a real loopback registry, in process (no CLI): a pull now ends
// with its layers unpacked into the layer store, so its baseline is the open tool chain that
// also ends with an unpacked tree, `skopeo copy` + `umoci unpack` of the same image from the
// same registry (as in the pull-unpacked section, which times the same through the CLI). A
// plain download of the same blobs (manifest, config, layers: bodies read, nothing verified or
// stored) stays beside it as context, as does the same pair through a paced 400 Mbit/s link
// (test/support/slow-link.mjs, its own process) in front of the same registry, as a fast home
// or office connection would carry it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageService } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo, startRegistry, type FixtureManifest } from '../test/support/index.ts';
import { skopeoUmoci } from './pull-unpacked.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;
const LINK_MBITS = 400;

export async function benchPull(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  try {
    await reg.push('big', 'big:1');
    const m = (await fixtureInfo('big')).manifests[0]!;
    const bytes = m.layerSizes.reduce((a, b) => a + b, 0);
    const mib = (bytes / 2 ** 20).toFixed(1);

    const local = await measure(reg.host, m, `${reg.host}/big:1`);
    const rows: BenchRow[] = [
      {
        // The baseline was a plain download (target 1.5x) while a pull only verified and stored;
        // since a pull also unpacks (one pass), the fair baseline is a tool chain that unpacks too.
        name: `pull ${mib} MiB image in process (verify, store, unpack into the layer store; baseline unpacks too)`, value: local.pull, unit: 'ms',
        baseline: 'skopeo copy + umoci unpack, same registry', baselineValue: local.unpacked, target: '<= 1.0x baseline', pass: local.pull <= local.unpacked,
      },
      { name: 'pull beside a plain download of the same blobs (no verify, store or unpack)', value: local.pull, unit: 'ms', baseline: 'plain download', baselineValue: local.plain },
      { name: 'pull throughput', value: bytes / 2 ** 20 / (local.pull / 1000), unit: 'MiB/s', baseline: 'plain download', baselineValue: bytes / 2 ** 20 / (local.plain / 1000) },
    ];

    const link = await startSlowLink(Number(new URL(reg.url).port), LINK_MBITS);
    try {
      const paced = await measure(link.host, m);
      rows.push({ name: `pull ${mib} MiB image over a ${LINK_MBITS} Mbit/s link`, value: paced.pull, unit: 'ms', baseline: 'plain download over the same link', baselineValue: paced.plain });
    } finally {
      link.stop();
    }
    return rows;
  } finally {
    await reg.stop();
  }
}

/**
 * Medians of RUNS plain downloads and pulls into an empty store, alternated; with `ref`,
 * also skopeo copy + umoci unpack of it in each round.
 */
async function measure(host: string, m: FixtureManifest, ref?: string): Promise<{ plain: number; pull: number; unpacked: number }> {
  const plain: number[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (ref) theirs.push(await skopeoUmoci(ref));
    let t = performance.now();
    const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
    await (await fetch(`http://${host}/v2/big/manifests/1`, { headers: { accept } })).arrayBuffer();
    await Promise.all([m.configDigest, ...m.layerDigests].map(async (d) => {
      const res = await fetch(`http://${host}/v2/big/blobs/${d}`);
      const r = res.body!.getReader();
      while (!(await r.read()).done);
    }));
    plain.push(performance.now() - t);

    const dir = mkdtempSync(join(tmpdir(), 'tabdock-bench-'));
    try {
      const meta = await DirMetaStore.open(join(dir, 'meta'));
      const svc = new ImageService({
        registry: new RegistryClient({ insecureRegistries: [host], hasher: nodeSha256 }),
        blobs: await DirBlobStore.open(join(dir, 'store')),
        meta,
        layers: new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip }),
      });
      t = performance.now();
      await svc.pull(`${host}/big:1`);
      ours.push(performance.now() - t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { plain: median(plain), pull: median(ours), unpacked: median(theirs) };
}

async function startSlowLink(upstreamPort: number, mbits: number): Promise<{ host: string; stop: () => void }> {
  const script = fileURLToPath(new URL('../test/support/slow-link.mjs', import.meta.url));
  const p = spawn(process.execPath, [script, String(upstreamPort), String(mbits)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    p.once('error', reject);
    p.once('exit', (code) => reject(new Error(`slow link exited (${code})`)));
    p.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
  });
  return { host: `127.0.0.1:${port}`, stop: () => void p.kill() };
}
