import { spawn } from 'node:child_process';
import { chmodSync, openSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TabdockError } from '../../shared/errors.ts';
import type { EngineApi } from '../../engine/index.ts';
import { RPC_METHODS } from '../../engine/rpc-contract.ts';
import { tabdockHome } from '../home.ts';
import { RpcPeer } from './rpc.ts';
import { inUseError, storeHolder } from '../store-lock.ts';

/**
 * Like `dockerd`: one background process per `$TABDOCK_HOME` holds the engine (and, with
 * the guest, the emulator), so `run -d` then `ps`, `logs`, `exec` from other invocations
 * work and a warm `run` restores nothing. The CLI starts it on first need; it exits after
 * an idle period with no client connected.
 */
type Env = Record<string, string | undefined>;

export interface DaemonControl {
  shutdown(): Promise<void>;
  status(): Promise<{ pid: number; home: string; connections: number; startedAt: string }>;
  /**
   * Read-only, for tests: the sizes of the daemon's tables (connections, the function
   * handles and unanswered calls of all of them, event listeners) and its heap, measured
   * after a collection when the daemon runs with `--expose-gc`.
   */
  rpcStats(): Promise<{ connections: number; handles: number; pending: number; listeners: number; heapUsed: number; gc: boolean }>;
}

/** What the daemon's socket serves: the engine's RPC contract and the daemon's own control. */
const CONTROL_METHODS = ['shutdown', 'status', 'rpcStats'] as const satisfies readonly (keyof DaemonControl)[];
export const DAEMON_METHODS: readonly string[] = [...RPC_METHODS, ...CONTROL_METHODS];

export type DaemonApi = EngineApi & DaemonControl;

/** The daemon is started with the same entry the CLI was (bin/tabdock.mjs, bundle or not). */
const BIN = process.env['TABDOCK_BIN'] ?? (/tabdock(\.mjs)?$/.test(process.argv[1] ?? '') ? process.argv[1]! : join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'tabdock.mjs'));

export function socketPath(home: string): string {
  return join(home, 'tabdock.sock');
}

function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

/** Serves the engine on the socket until shut down or idle. Resolves when it stopped. */
export async function runDaemon(env: Env, makeEngine: () => Promise<EngineApi & { busy?: boolean; dispose?: () => Promise<void>; events?: { listenerCount: number } }>): Promise<void> {
  const home = tabdockHome(env);
  const path = socketPath(home);
  const existing = await tryConnect(path);
  if (existing) {
    existing.destroy();
    throw new TabdockError('DAEMON_RUNNING', `a tabdock daemon is already running for ${home}`, { home });
  }
  rmSync(path, { force: true }); // a stale socket of a daemon that died
  const engine = await makeEngine();
  const idleMs = Number(env['TABDOCK_DAEMON_IDLE_SECONDS'] ?? 600) * 1000;
  const startedAt = new Date().toISOString();
  const peers = new Set<RpcPeer>();
  let idle: NodeJS.Timeout | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));

  const control: DaemonControl = {
    shutdown: async () => void setImmediate(() => shutdown()),
    status: async () => ({ pid: process.pid, home, connections: peers.size, startedAt }),
    rpcStats: async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const t = [...peers].map((p) => p.tables);
      return {
        connections: peers.size, handles: t.reduce((n, x) => n + x.handles, 0), pending: t.reduce((n, x) => n + x.pending, 0),
        listeners: engine.events?.listenerCount ?? 0, heapUsed: process.memoryUsage().heapUsed, gc: gc !== undefined,
      };
    },
  };
  // One table for every connection: the contract's methods bound to the engine, plus control.
  const table: Record<string, unknown> = { ...control };
  for (const m of RPC_METHODS) table[m] = (engine[m] as (...a: unknown[]) => unknown).bind(engine);

  const server = createServer((socket) => {
    clearTimeout(idle);
    const peer = new RpcPeer(socket);
    peers.add(peer);
    peer.expose(table, DAEMON_METHODS);
    peer.onClose.push(() => {
      peers.delete(peer);
      armIdle();
    });
  });
  const armIdle = () => {
    clearTimeout(idle);
    if (peers.size > 0) return;
    // Detached containers keep the daemon (and its guest) alive.
    idle = setTimeout(() => (engine.busy ? armIdle() : shutdown()), idleMs).unref();
  };
  const shutdown = () => {
    server.close();
    rmSync(path, { force: true });
    rmSync(join(home, 'tabdock.pid'), { force: true });
    void (engine.dispose?.() ?? Promise.resolve()).catch(() => {}).finally(stop);
  };
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  chmodSync(path, 0o600); // whatever the umask: only this user talks to the daemon
  writeFileSync(join(home, 'tabdock.pid'), `${process.pid}\n`);
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  armIdle();
  await stopped;
}

/** Connects to the daemon of `$TABDOCK_HOME`, starting it first when none answers. */
export async function connectDaemon(env: Env, opts: { autostart?: boolean } = {}): Promise<{ api: DaemonApi; close(): void; tables(): RpcPeer['tables'] } | undefined> {
  const home = tabdockHome(env);
  const path = socketPath(home);
  let socket = await tryConnect(path);
  if (!socket && opts.autostart !== false) {
    // A command run with TABDOCK_DAEMON=off has the store: a daemon could not open it.
    const holder = storeHolder(home);
    if (holder?.kind === 'command') throw inUseError(home, holder, 'daemon');
    const log = openSync(join(home, 'daemon.log'), 'a');
    const child = spawn(process.execPath, [BIN, 'daemon', 'run'], { env: { ...process.env, ...env } as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', log, log] });
    child.unref();
    // Generous for a loaded machine; a daemon that exited (an error, or another won the race
    // to start) ends the wait at once.
    const deadline = Date.now() + 60_000;
    while (!socket && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (existsSync(path)) socket = await tryConnect(path);
      if (child.exitCode !== null && !socket) {
        socket = await tryConnect(path);
        break;
      }
    }
    if (!socket) throw new TabdockError('DAEMON_START_FAILED', `the tabdock daemon did not start; see ${join(home, 'daemon.log')}`, { home });
  }
  if (!socket) return undefined;
  const peer = new RpcPeer(socket);
  return { api: peer.remote<DaemonApi>(), close: () => peer.close(), tables: () => peer.tables };
}
