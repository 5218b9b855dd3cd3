/**
 * The control channel's paths: host->guest frames go on the bulk port (a plain virtio
 * port the agent reads a buffer at a time), not through the console tty; the console path
 * stays selectable (`link: 'console'`) and lossless. The agent's frames after READY take
 * the bulk port too (a write is one buffer of up to 32 KiB, not hvc's 4 KiB through the tty). Guarded by what the guest spends on a
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

  it('fills the guest\'s 32 KiB port buffers: 1 MiB of stdin goes in at most about 64 sends, not 256 page-sized ones', async () => {
    const guest = await restore();
    try {
      // what the host hands the device: the sends on the emulator's bus
      const sizes: number[] = [];
      const bus = (guest.emulator as unknown as { bus: { send(name: string, data: unknown): void } }).bus;
      const send = bus.send;
      bus.send = function (name: string, data: unknown) {
        if (name === `virtio-console${BULK_PORT}-input-bytes`) sizes.push((data as Uint8Array).length);
        send.call(this, name, data);
      };
      const p = await guest.agent.spawn(['/bin/busybox', 'wc', '-c']);
      await p.write(randomBytes(1 << 20));
      p.closeStdin();
      const out = await p.output();
      bus.send = send;
      expect(out.stdout.trim()).toBe(String(1 << 20));
      // a send fills up to one 32 KiB buffer: a 16 KiB stdin frame whole, or two frames the
      // writer had queued together (v86 cuts a send at the buffer's size; 4 KiB pages cut at 4096)
      const most = Math.max(...sizes);
      expect(most).toBeGreaterThanOrEqual(16384 + 12);
      expect(most).toBeLessThanOrEqual(32768);
      expect(sizes.length).toBeLessThan(100);
    } finally {
      await guest.dispose();
    }
  }, 240_000);

  it('takes the guest\'s frames on the bulk port after READY: 1 MiB of stdout arrives there, none on hvc1, at under 3 instructions a byte', async () => {
    const guest = await restore();
    try {
      expect((await guest.info()).out).toBe(BULK_PORT);
      const seen = new Map<number, number>();
      const listeners = [CONTROL_PORT, BULK_PORT].map((port) => {
        const fn = (b: Uint8Array) => seen.set(port, (seen.get(port) ?? 0) + b.length);
        guest.emulator.add_listener(`virtio-console${port}-output-bytes` as never, fn);
        return [`virtio-console${port}-output-bytes`, fn] as const;
      });
      // instructions of `dd` writing N 64 KiB blocks, less those of `dd` writing none (its start and exit)
      const run = async (n: number) => {
        const i0 = guest.emulator.get_instruction_counter() >>> 0;
        const p = await guest.agent.spawn(['/bin/busybox', 'dd', 'if=/dev/zero', 'bs=65536', `count=${n / 65536}`, 'status=none']);
        let got = 0;
        p.onOutput((c, fd) => fd === 1 && (got += c.length));
        expect(await p.exit).toBe(0);
        return { got, spent: ((guest.emulator.get_instruction_counter() >>> 0) - i0) >>> 0 };
      };
      const empty = await run(0);
      const full = await run(1 << 20);
      const got = full.got;
      const perByte = (full.spent - empty.spent) / (1 << 20);
      for (const [name, fn] of listeners) guest.emulator.remove_listener(name as never, fn);
      expect(got).toBe(1 << 20);
      expect(seen.get(CONTROL_PORT) ?? 0).toBe(0);
      expect(seen.get(BULK_PORT)).toBeGreaterThan(1 << 20);
      console.log(`guest->host on the bulk port: ${perByte.toFixed(1)} guest instructions per byte (1 MiB of stdout)`);
      // through hvc1 (a tty, 4 KiB a kick) it cost 5.4
      expect(perByte).toBeLessThan(3);
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
