/**
 * The host->guest path of the control channel: frames go on the bulk port (a plain virtio
 * port the agent reads a buffer at a time), not through the console tty; the console path
 * stays selectable (`link: 'console'`) and lossless. Guarded by what the guest spends on a
 * byte (v86's instruction counter, independent of the host's load), by bytes arriving
 * intact on both paths, and by the snapshot loader refusing a state without the port.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULK_PORT, CONTROL_PORT, Guest, refuse9p } from '../../src/emulator/index.ts';
import { DEFAULT_SNAPSHOT_PATH, loadArtifacts, loadOrCreateSnapshot, loadSnapshot, type LoadedArtifacts } from '../../src/emulator/node.ts';
import { TabdockError } from '../../src/shared/errors.ts';

let artifacts: LoadedArtifacts;
let state: ArrayBuffer;
let dir: string;

beforeAll(async () => {
  artifacts = await loadArtifacts();
  state = (await loadOrCreateSnapshot(undefined, artifacts)).state;
  dir = await mkdtemp(join(tmpdir(), 'tabdock-link-'));
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function restore(link?: 'bulk' | 'console'): Promise<Guest> {
  return Guest.start({ images: artifacts.images, wasm: artifacts.wasm, state: state.slice(0), handle9p: refuse9p, timeoutMs: 180_000, ...(link ? { link } : {}) });
}

/** 1 MiB through `cat` in the guest and back; guest instructions spent per byte sent. */
async function echoMiB(guest: Guest): Promise<number> {
  const data = randomBytes(1 << 20);
  const p = await guest.agent.spawn(['/bin/cat']);
  const chunks: Uint8Array[] = [];
  p.onOutput((c, fd) => fd === 1 && chunks.push(c));
  const i0 = guest.emulator.get_instruction_counter() >>> 0;
  await p.write(data);
  p.closeStdin();
  expect(await p.exit).toBe(0);
  const spent = ((guest.emulator.get_instruction_counter() >>> 0) - i0) >>> 0;
  const back = Buffer.concat(chunks);
  expect(back.length).toBe(data.length);
  expect(back.equals(data)).toBe(true);
  return spent / data.length;
}

describe('host->guest link', () => {
  it('sends on the bulk port by default: the agent reads it as a plain virtio port, bytes arrive intact and cheap', async () => {
    const guest = await restore();
    try {
      expect(guest.linkPort).toBe(BULK_PORT);
      expect((await guest.info()).bulk).toBe(BULK_PORT);
      // a plain port: its char device opens (EBUSY: the agent holds it), where a console port's says ENXIO
      const probe = await (await guest.agent.spawn(['/bin/sh', '-c', `for p in /dev/vport*p${CONTROL_PORT} /dev/vport*p${BULK_PORT}; do echo "$p: $(cat $p 2>&1 </dev/null)"; done`])).output();
      expect(probe.stdout).toMatch(new RegExp(`vport\\d+p${CONTROL_PORT}: .*No such device or address`));
      expect(probe.stdout).toMatch(new RegExp(`vport\\d+p${BULK_PORT}: .*Device or resource busy`));
      const perByte = await echoMiB(guest);
      console.log(`bulk port: ${perByte.toFixed(1)} guest instructions per byte (1 MiB through cat and back)`);
      // the console path costs ~55 per byte in and ~5 out; the bulk path well under half of that
      expect(perByte).toBeLessThan(25);
    } finally {
      await guest.dispose();
    }
  }, 240_000);

  it('keeps the console path selectable and lossless (the baseline), at its cost per byte', async () => {
    const guest = await restore('console');
    try {
      expect(guest.linkPort).toBe(CONTROL_PORT);
      const perByte = await echoMiB(guest);
      console.log(`console port: ${perByte.toFixed(1)} guest instructions per byte (1 MiB through cat and back)`);
      expect(perByte).toBeGreaterThan(40);
    } finally {
      await guest.dispose();
    }
  }, 240_000);

  it('refuses an unknown link before starting anything', async () => {
    const err = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, state: state.slice(0), link: 'fast' as never }).then(
      async (g) => (await g.dispose(), 'started'),
      (e: unknown) => e,
    );
    expect(TabdockError.is(err, 'EMULATOR_BAD_OPTION')).toBe(true);
  });

  it('refuses a snapshot saved before the bulk port (its guest made every port a console)', async () => {
    const path = join(dir, 'old.bin.zst');
    await copyFile(DEFAULT_SNAPSHOT_PATH, path);
    const meta = JSON.parse(await readFile(DEFAULT_SNAPSHOT_PATH.replace(/\.bin\.zst$/, '.json'), 'utf8')) as Record<string, unknown>;
    expect(meta['bulkPort']).toBe(BULK_PORT);
    delete meta['bulkPort'];
    await writeFile(join(dir, 'old.json'), JSON.stringify(meta));
    // (caught into a value: a wrongly resolved state is 23 MB, too big for an assertion message)
    const err = await loadSnapshot(path, artifacts).then(() => 'restored', (e: unknown) => e);
    expect(TabdockError.is(err, 'EMULATOR_STALE_SNAPSHOT')).toBe(true);
    expect((err as Error).message).toContain('without the bulk port');
  });
});
