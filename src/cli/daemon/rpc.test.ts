// RpcPeer over a real unix socket: only listed methods are served, and function handles
// go when their call settles or their stream ends, on both sides.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { STREAM_END } from '../../engine/rpc-contract.ts';
import { RpcPeer } from './rpc.ts';

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});

/** A served peer and a client peer joined by a socket. */
async function pair(api: object, methods: string[]): Promise<{ server: () => RpcPeer; client: RpcPeer; remote: Record<string, (...a: unknown[]) => Promise<any>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rpc-'));
  const path = join(dir, 's.sock');
  let served: RpcPeer | undefined;
  const srv: Server = createServer((s) => {
    served = new RpcPeer(s);
    served.expose(api, methods);
  });
  await new Promise<void>((r) => srv.listen(path, r));
  const sock: Socket = await new Promise((r) => {
    const s = connect(path, () => r(s));
  });
  const client = new RpcPeer(sock);
  cleanup.push(() => {
    client.close();
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await expect.poll(() => served).toBeDefined();
  return { server: () => served!, client, remote: client.remote() };
}

it('serves only the listed methods', async () => {
  const api = { version: async () => '1', dispose: async () => 'disposed' };
  const { remote } = await pair(api, ['version']);
  await expect(remote['dispose']!()).rejects.toMatchObject({ code: 'RPC_REFUSED' });
  await expect(remote['nothing']!()).rejects.toMatchObject({ code: 'RPC_REFUSED' });
  expect(await remote['version']!()).toBe('1');
});

it('drops a call\'s callbacks when it settles', async () => {
  const api = { pull: async (_ref: string, onEvent: (n: number) => Promise<unknown>) => (await onEvent(1), await onEvent(2), 'done') };
  const { client, remote } = await pair(api, ['pull']);
  const got: number[] = [];
  expect(await remote['pull']!('x', (n: number) => void got.push(n))).toBe('done');
  expect(got).toEqual([1, 2]);
  expect(client.tables).toEqual({ handles: 0, pending: 0 });
  // and on failure
  const failing = { pull: async () => Promise.reject(new Error('no')) };
  const p2 = await pair(failing, ['pull']);
  await expect(p2.remote['pull']!('x', () => {})).rejects.toThrow('no');
  expect(p2.client.tables).toEqual({ handles: 0, pending: 0 });
});

it('keeps an exec handle and its callbacks until its wait settles, then releases both sides', async () => {
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => (exit = r));
  const api = {
    execContainer: async (_ref: string, _req: unknown, onOutput: (b: Uint8Array) => void) => {
      onOutput(new TextEncoder().encode('hi'));
      return { [STREAM_END]: new Promise<void>(() => {}), write: async () => {}, closeStdin: async () => {}, resize: async () => {}, detach: async () => {}, wait: () => exited };
    },
  };
  const { server, client, remote } = await pair(api, ['execContainer']);
  let out = '';
  const h = await remote['execContainer']!('c', { args: ['true'] }, (b: Uint8Array) => void (out += new TextDecoder().decode(b)));
  expect(client.tables.handles).toBe(1); // onOutput
  expect(server().tables.handles).toBe(5 + 1); // the handle's five functions, and the handle
  await h.closeStdin();
  const waiting = h.wait();
  exit(0);
  expect(await waiting).toBe(0);
  expect(out).toBe('hi');
  expect(client.tables).toEqual({ handles: 0, pending: 0 });
  await expect.poll(() => server().tables).toEqual({ handles: 0, pending: 0 });
});

it('releases the caller\'s callbacks when the engine ends the stream (the container exited), and ends served handles when the caller leaves', async () => {
  let end!: () => void;
  let detached = 0;
  const api = {
    attachContainer: async () => ({ [STREAM_END]: new Promise<void>((r) => (end = r)), write: async () => {}, closeStdin: async () => {}, resize: async () => {}, detach: async () => void detached++ }),
  };
  const { server, client, remote } = await pair(api, ['attachContainer']);
  await remote['attachContainer']!('c', () => {});
  expect(client.tables.handles).toBe(1);
  end();
  await expect.poll(() => client.tables.handles).toBe(0);
  // The handle itself stays until the caller is done with it (it may still call detach).
  expect(server().tables.handles).toBe(5);
  client.close();
  await expect.poll(() => detached).toBe(1);
  expect(server().tables).toEqual({ handles: 0, pending: 0 });
});
