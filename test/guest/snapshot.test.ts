/**
 * Boot once, save, compress (zstd), restore: the restored guest reaches a working agent
 * and runs the same container as a cold-booted one. Also: the handle9p path (the engine's)
 * really receives the guest's 9P requests, restored from the build's own snapshot
 * (`npm run snapshot`, the handler kind, which global-setup checks fits this checkout):
 * a second cold boot here would make the same kind of state again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest, refuse9p } from '../../src/emulator/index.ts';
import { statSync } from 'node:fs';
import { createSnapshot, DEFAULT_SNAPSHOT_PATH, loadArtifacts, loadSnapshot, type LoadedArtifacts } from '../../src/emulator/node.ts';
import { TabdockError } from '../../src/shared/errors.ts';
import { prepareNinePTree, sh, writeBundle } from './guest-fixture.ts';

let dir: string;
let artifacts: LoadedArtifacts;
const made: Record<'builtin', { path: string; compressedBytes: number }> = {} as never;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tabdock-snap-'));
  artifacts = await loadArtifacts();
  // level 3: the test needs a state, not the smallest one (the build step uses 19)
  made.builtin = await createSnapshot({ path: join(dir, 'builtin.bin.zst'), ninep: 'builtin', level: 3 });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('snapshot', () => {
  it('restores to agent-ready and runs the same container as a cold boot', async () => {
    const { state, meta } = await loadSnapshot(made.builtin.path, artifacts);
    expect(meta.ninep).toBe('builtin');
    const t0 = performance.now();
    const guest = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, state, timeoutMs: 60_000 });
    const restoreMs = performance.now() - t0;
    try {
      console.log(`restore to agent-ready: ${Math.round(restoreMs)} ms (state ${made.builtin.compressedBytes} bytes zstd)`);
      expect((await guest.info()).machine).toBe('i686');
      await guest.agent.setTime(Date.now());
      await prepareNinePTree(guest);
      const bundle = await writeBundle(guest, 'again', { args: sh('echo restored $$; exit 7'), hostname: 'after-restore' });
      const out = await (await guest.agent.run({ id: 'again', bundle })).output();
      expect(out).toEqual({ status: 7, stdout: 'restored 1\n', stderr: '' });
      const date = await (await guest.agent.spawn(['/bin/date', '+%s'])).output();
      expect(Math.abs(Number(date.stdout) * 1000 - Date.now())).toBeLessThan(60_000);
    } finally {
      await guest.dispose();
    }
  }, 180_000);

  it('restores a handle9p state, and the guest\'s 9P requests reach the handler', async () => {
    const { state, meta } = await loadSnapshot(DEFAULT_SNAPSHOT_PATH, artifacts);
    expect(meta.ninep).toBe('handler');
    const seen: number[] = [];
    const guest = await Guest.start({
      images: artifacts.images,
      wasm: artifacts.wasm,
      state,
      handle9p: (req, reply) => {
        seen.push(req[4] ?? 0);
        refuse9p(req, reply);
      },
    });
    try {
      const err = await guest.agent.mount({ aname: 'c1', path: '/mnt/c1' }).catch((e: unknown) => e);
      expect(TabdockError.is(err, 'AGENT_REQUEST_FAILED')).toBe(true);
      expect(seen[0]).toBe(100); // Tversion, answered with Rlerror by refuse9p
      expect((await (await guest.agent.spawn(['/bin/echo', 'still fine'])).output()).stdout).toBe('still fine\n');
    } finally {
      await guest.dispose();
    }
  }, 180_000);

  it('refuses a state made for other artifacts', async () => {
    const other = { ...artifacts, images: { ...artifacts.images, initrd: new ArrayBuffer(8) } };
    await expect(loadSnapshot(made.builtin.path, other)).rejects.toSatisfy((e: unknown) => TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT'));
  }, 180_000);

  it('keeps the compressed state small (target <= 12 MB): the one the build makes, and a quick level-3 one', () => {
    expect(statSync(DEFAULT_SNAPSHOT_PATH).size).toBeLessThan(12_000_000);
    expect(made.builtin.compressedBytes).toBeLessThan(12_000_000);
  }, 180_000);
});
