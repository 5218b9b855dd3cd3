// The worker host through comlink over a real MessageChannel, on IndexedDB stores
// (fake-indexeddb in Node; test/browser runs the same in Chromium): only the contract is
// served, and the page's callback proxies are released when their call settles or their
// stream ends (comlink calls a proxied object's `finalizer` when the other side releases it).
import 'fake-indexeddb/auto';
import { finalizer, proxy, wrap, type Remote } from 'comlink';
import { expose } from 'comlink';
import { afterAll, expect, it } from 'vitest';
import './comlink-errors.ts';
import type { EngineEvent } from '../events.ts';
import type { BrowserEvent } from './events.ts';
import { WorkerHost } from './worker-host.ts';

const { port1, port2 } = new MessageChannel();
const workerHost = new WorkerHost();
expose(workerHost, port1);
const host: Remote<WorkerHost> = wrap<WorkerHost>(port2);
await host.init({ proxy: 'http://127.0.0.1:9/proxy', assets: 'http://127.0.0.1:9/guest/', db: `wh-${Date.now()}` });
afterAll(() => {
  port1.close();
  port2.close();
});

/** A callback for the worker whose release we can see. */
function tracked<A extends unknown[]>(f: (...a: A) => void): { fn: (...a: A) => void; released: () => boolean } {
  let released = false;
  const fn = Object.assign((...a: A) => f(...a), { [finalizer]: () => void (released = true) });
  return { fn, released: () => released };
}

it('refuses what is not on the contract', async () => {
  await expect(host.call('dispose' as never)).rejects.toMatchObject({ code: 'RPC_REFUSED' });
  expect(await host.call('listVolumes')).toEqual([]);
});

it('releases a call\'s callback when the call settles, failed or not', async () => {
  const t = tracked(() => {});
  await expect(host.call('pull', '127.0.0.1:9/nothing:1', {}, proxy(t.fn))).rejects.toMatchObject({ name: 'TabdockError' });
  await expect.poll(t.released).toBe(true);
});

it('answers a call only after the page has taken the callbacks made before its result', async () => {
  // Each callback is a port of its own, unordered against the call's reply. Here the page
  // holds its first pull event until the pull has failed in the worker (its pull-done
  // reached the page, and 200 ms more passed): the failure must not arrive before it.
  const seen: string[] = [];
  let failedInWorker!: () => void;
  const failed = new Promise<void>((r) => (failedInWorker = r));
  await host.listen(proxy((e: BrowserEvent) => void (e.type === 'pull-done' && setTimeout(failedInWorker, 200))));
  let settled = false;
  const held = (e: { type: string }) => failed.then(() => void seen.push(`${e.type} (settled: ${settled})`));
  const call = host.call('pull', '127.0.0.1:9/nothing:1', {}, proxy(held)).finally(() => (settled = true));
  await expect(call).rejects.toMatchObject({ name: 'TabdockError' });
  expect(seen).toEqual(['resolving (settled: false)']);
});

it('answers any call only after the callback calls other calls made before it (a run\'s output before its exit)', async () => {
  // `docker run` in the page: output through attach's callback, the exit through
  // waitContainer, a call of its own. Here a pull's event is held by the page; a call made
  // meanwhile must not be answered before the page has taken that event.
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let entered!: () => void;
  const inCallback = new Promise<void>((r) => (entered = r));
  const seen: string[] = [];
  const held = (e: { type: string }) => (entered(), gate.then(() => void seen.push(e.type)));
  const pull = host.call('pull', '127.0.0.1:9/nothing:1', {}, proxy(held)).catch(() => 'failed');
  await inCallback;
  let answered = false;
  const other = host.call('listVolumes').then((v) => ((answered = true), v));
  await new Promise((r) => setTimeout(r, 300));
  expect(answered).toBe(false);
  open();
  expect(await other).toEqual([]);
  expect(seen).toEqual(['resolving']);
  expect(await pull).toBe('failed');
});

it('forwards engine events through a subscription until it is closed, then releases its callback', async () => {
  const seen: EngineEvent[] = [];
  const t = tracked((e: EngineEvent) => void seen.push(e));
  const sub = (await host.call('subscribeEvents', proxy(t.fn))) as Remote<{ close(): Promise<void> }>;
  await host.call('createVolume', 'v1', {});
  await host.call('removeVolume', 'v1', {});
  await expect.poll(() => seen.map((e) => `${e.type}:${e.action}`)).toEqual(['volume:create', 'volume:destroy']);
  expect(t.released()).toBe(false);
  await sub.close();
  await expect.poll(t.released).toBe(true);
  await host.call('createVolume', 'v2', {});
  expect(seen).toHaveLength(2);
});
