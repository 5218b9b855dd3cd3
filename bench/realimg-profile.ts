// Where the Debian workloads of bench/realimg.ts spend their time, without the engine around
// them: the image's tree served by our P9Server from a layer store, mounted in a guest
// restored from the snapshot with each 9P mount option given, each workload run under
// `chroot` of that mount. Per workload: guest-timed ms, guest instructions (v86's counter)
// and 9P requests by type. `npx tsx bench/realimg-profile.ts [options...]`, e.g.
// `npx tsx bench/realimg-profile.ts '' cache=loose`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerFs, LayerStore, P9Server } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../src/fs-layers/node.ts';
import { Guest } from '../src/emulator/index.ts';
import { loadArtifacts, loadSnapshot } from '../src/emulator/node.ts';
import { Digest } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { DEBIAN_LAYOUT, debianLayout } from './debian-image.ts';
import { WORKLOADS } from './realimg.ts';

const RUNS = Number(process.env.TABDOCK_BENCH_RUNS ?? 3);
const NAMES: Record<number, string> = { 8: 'statfs', 12: 'lopen', 14: 'lcreate', 16: 'symlink', 18: 'mknod', 20: 'rename', 22: 'readlink', 24: 'getattr', 26: 'setattr', 30: 'xattrwalk', 40: 'readdir', 50: 'fsync', 52: 'lock', 70: 'link', 72: 'mkdir', 74: 'renameat', 76: 'unlinkat', 100: 'version', 104: 'attach', 108: 'flush', 110: 'walk', 116: 'read', 118: 'write', 120: 'clunk', 122: 'remove' };

function streamOf(b: Uint8Array): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= b.length) return c.close();
      c.enqueue(b.subarray(i, i + 65536));
      i += 65536;
    },
  });
}

async function main(): Promise<void> {
  const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['', 'cache=loose'];
  await debianLayout((s) => process.stderr.write(s));
  const blob = (d: string) => join(DEBIAN_LAYOUT, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(join(DEBIAN_LAYOUT, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
  const root = mkdtempSync(join(tmpdir(), 'tabdock-realimg-profile-'));
  const store = new LayerStore({ chunks: await DirBlobStore.open(join(root, 'chunks')), meta: await DirMetaStore.open(join(root, 'meta')), hasher: nodeSha256 });
  const diffIds = config.rootfs.diff_ids.map((d) => Digest.parse(d));
  for (let i = 0; i < diffIds.length; i++) {
    await store.unpack({ diffId: diffIds[i]!, source: streamOf(new Uint8Array(readFileSync(blob(manifest.layers[i]!.digest)))), compression: 'gzip', what: 'debian' });
  }
  const a = await loadArtifacts();
  const { state } = await loadSnapshot(undefined, a);
  try {
    for (const mode of modes) {
      const fs = await ContainerFs.open(store, `deb-${mode || 'none'}`, diffIds);
      const server = new P9Server({ attach: async () => fs });
      const g = await Guest.start({ images: a.images, wasm: a.wasm, state: state.slice(0), handle9p: server.handle9p, timeoutMs: 240_000 });
      try {
        await g.agent.mount({ aname: 'deb', path: '/mnt/c', ...(mode ? { options: mode } : {}) });
        // the guest's devices in the chroot (a container has them from crun)
        const b = await (await g.agent.spawn(['/bin/busybox', 'mount', '--bind', '/dev', '/mnt/c/dev'])).output();
        if (b.status !== 0) throw new Error(`bind /dev: ${b.stderr}`);
        for (const w of WORKLOADS) {
          const script = `s=$EPOCHREALTIME; { ${w.cmd} ; } >/dev/null 2>&1 || exit 1; e=$EPOCHREALTIME; echo "$s $e"`;
          for (let i = 0; i < RUNS; i++) {
            const before = new Map(server.counts);
            const i0 = g.emulator.get_instruction_counter() >>> 0;
            const out = await (await g.agent.spawn(['/bin/busybox', 'chroot', '/mnt/c', '/bin/bash', '-c', script])).output();
            const instr = ((g.emulator.get_instruction_counter() >>> 0) - i0) >>> 0;
            const [s, e] = out.stdout.trim().split(/\s+/).map(Number);
            const reqs: string[] = [];
            let total = 0;
            for (const [t, n] of server.counts) {
              const d = n - (before.get(t) ?? 0);
              if (d) reqs.push(`${NAMES[t] ?? t}=${d}`);
              total += d;
            }
            console.log(`[${mode || 'cache=none'}] ${w.name} run ${i}: ${out.status === 0 ? Math.round((e! - s!) * 1000) : 'FAILED ' + out.stderr} ms, ${(instr / 1e6).toFixed(0)} M instr, 9P ${total}: ${reqs.join(' ')}`);
          }
        }
      } finally {
        await g.dispose();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
