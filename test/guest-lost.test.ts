// A guest that goes away (kernel panic, reboot) or stops answering is given up: the containers it ran end as
// Exited (137) with the reason, and the next container gets a fresh guest restored from
// the snapshot. The reboot is asked of the guest itself (a container cannot reboot it:
// reboot(2) in a child PID namespace only ends that namespace).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, guestRuntime, type Engine } from '../src/engine/index.ts';
import type { Guest } from '../src/emulator/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../src/fs-layers/node.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { parseRunOptions } from '../src/engine/spec/run-flags.ts';
import { startNodeGuest } from '../src/cli/node-guest.ts';
import { startRegistry, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let home: string;
let engine: Engine;
const guests: Guest[] = [];
/** How each guest started, as startNodeGuest reports it. */
const boots: string[] = [];

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  home = mkdtempSync(join(tmpdir(), 'tabdock-lost-'));
  const blobs = await DirBlobStore.open(join(home, 'store'));
  const meta = await DirMetaStore.open(join(home, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta, hasher: nodeSha256 });
  engine = await createEngine({
    stores: { blobs, meta, layers }, registry: new RegistryClient({ insecureRegistries: [reg.host], hasher: nodeSha256 }),
    runtimes: [guestRuntime({
      // Shorter than the default (5 s / 20 s) so the frozen guest is given up within the
      // test, with room for a guest that answers slowly on a loaded 2-core machine.
      watchdog: { intervalMs: 2000, timeoutMs: 10_000 },
      startGuest: async (h) => {
        const g = await startNodeGuest(h, { env: {}, home }, (line) => boots.push(line));
        guests.push(g);
        return g;
      },
    })],
  });
  await engine.pull(`${reg.host}/busybox`, {});
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
  await reg?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function run(args: string[], detach = false): Promise<string> {
  const options = parseRunOptions({ flags: { detach }, args: [`${reg.host}/busybox`, ...args] });
  const { Id } = await engine.createContainer({ image: `${reg.host}/busybox`, options });
  await engine.startContainer(Id);
  return Id;
}

it('ends the containers of a guest that rebooted and restores a fresh one for the next', async () => {
  const id = await run(['sleep', '600'], true);
  expect(guests).toHaveLength(1);
  void guests[0]!.agent.spawn(['/bin/busybox', 'reboot', '-f']).catch(() => {});
  const r = await engine.waitContainer(id);
  expect(r.StatusCode).toBe(137);
  const state = (await engine.inspectContainer(id))['State'] as { Error: string; ExitCode: number };
  expect(state.Error).toMatch(/The guest machine reset itself/);
  expect(guests[0]!.lost?.code).toBe('EMULATOR_GUEST_LOST');

  const next = await run(['echo', 'again']);
  let out = '';
  await engine.containerLogs(next, { follow: true }, (_s, d) => void (out += new TextDecoder().decode(d)));
  expect((await engine.waitContainer(next)).StatusCode).toBe(0);
  expect(out).toBe('again\n');
  expect(guests).toHaveLength(2);
  expect(boots).toEqual([expect.stringMatching(/^guest restored from the snapshot /), expect.stringMatching(/^guest restored from the snapshot /)]);
}, 120_000);

it('gives up a guest that stops answering, and the next container gets a fresh one', async () => {
  const id = await run(['sleep', '600'], true);
  // A frozen machine: no reply, no serial output, nothing but silence. (The agent is the
  // guest's PID 1, which SIGSTOP cannot stop; the emulator itself is paused instead.)
  await guests[1]!.emulator.stop();
  const r = await engine.waitContainer(id);
  expect(r.StatusCode).toBe(137);
  const state = (await engine.inspectContainer(id))['State'] as { Error: string };
  expect(state.Error).toMatch(/The guest stopped answering/);
  expect(guests[1]!.lost?.code).toBe('EMULATOR_GUEST_UNRESPONSIVE');
  const next = await run(['true']);
  expect((await engine.waitContainer(next)).StatusCode).toBe(0);
  expect(guests).toHaveLength(3);
}, 240_000);
