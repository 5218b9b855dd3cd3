// `tabdock proxy` as a user starts it: the command listens, says where, lets a registry
// client pull through it from a real registry on its allow list, refuses a host off the
// list, and ends cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ImageService } from '../src/engine/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { BIN, startRegistry, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let dir: string;
let child: ChildProcess;
let url: string;
let stdout = '';

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('busybox', 'bb:1');
  dir = mkdtempSync(join(tmpdir(), 'tabdock-proxy-cmd-'));
  child = spawn(process.execPath, [BIN, 'proxy', '--port', '0'], {
    env: { ...process.env, TABDOCK_HOME: dir, TABDOCK_PROXY_ALLOW: reg.host, TABDOCK_INSECURE_REGISTRIES: reg.host },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^tabdock proxy listening on (http:\/\/\S+)\n/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`tabdock proxy exited (${code}) before listening: ${stdout}`)));
  });
}, 120_000);
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('serves pulls from an allowed registry with CORS headers, and refuses one off the list', async () => {
  const meta = await DirMetaStore.open(join(dir, 'm'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'c')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
  const svc = new ImageService({ registry: new RegistryClient({ proxy: url }), blobs: await DirBlobStore.open(join(dir, 'b')), meta, layers });
  const r = await svc.pull(`${reg.host}/bb:1`);
  expect(r.image.platform.architecture).toBe('386');
  const res = await fetch(`${url}/${reg.host}/v2/`, { headers: { origin: 'http://page.test' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
  const refused = await fetch(`${url}/127.0.0.1:9/v2/`);
  expect(refused.status).toBe(403);
  expect(await refused.text()).toContain('not on the allow list');
}, 120_000);

it('ends with status 0 on SIGTERM', async () => {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 60_000);
