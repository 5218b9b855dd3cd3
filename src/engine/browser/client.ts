/**
 * The page's side of the engine: one Web Worker per page (every terminal, panel and embed
 * shares it), spoken to through comlink. Callbacks cross as proxies, live handles
 * (attach/exec) come back as proxies, errors come back as TabdockErrors.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import './comlink-errors.ts';
import type { EngineApi, EventOptions, EventSubscription } from '../api.ts';
import { HANDLE_ENDS, RPC_METHODS } from '../rpc-contract.ts';
import type { BrowserEngine, BrowserEvent, EngineEvent } from './events.ts';
import type { WorkerConfig, WorkerHost } from './worker-host.ts';

export interface ConnectOptions {
  /** CORS proxy base URL; default: the page's `<meta name="tabdock-proxy">`, else `proxy` beside the site's root. */
  proxy?: string;
  /**
   * The network relay (`ws(s)://.../wisp/`); default: the page's `<meta name="tabdock-relay">`,
   * else `wisp/` beside the site's root. `false` (or the meta's content `off`): no relay, so
   * containers have no network access beyond the guest, and the page is told so once.
   */
  relay?: string | false;
  /** Where the guest files are; default `guest/` beside the site's root. */
  assets?: string;
  /** IndexedDB name prefix (tests and several playgrounds on one origin). */
  db?: string;
  /** The worker to use (default: the bundled worker.ts). */
  worker?: Worker;
  /** The guest's memory in bytes (the playground's setting); default: the snapshot's. */
  memoryBytes?: number;
}

/** A relay address as a WebSocket URL ending in `/` (`http(s):` becomes `ws(s):`). */
function relayUrl(href: string): string {
  const u = new URL(href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  return u.href.endsWith('/') ? u.href : u.href + '/';
}

/** The site root this module was served from (build: `<root>/assets/x.js`; dev: `/src/...`). */
function siteRoot(): URL {
  const here = new URL(import.meta.url);
  const i = here.pathname.lastIndexOf('/assets/');
  const j = here.pathname.lastIndexOf('/src/');
  const cut = i !== -1 ? i : j !== -1 ? j : here.pathname.lastIndexOf('/');
  return new URL(here.pathname.slice(0, cut + 1), here);
}

export function connectEngine(o: ConnectOptions = {}): BrowserEngine {
  const root = siteRoot();
  const worker = o.worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tabdock-engine' });
  const host: Remote<WorkerHost> = wrap<WorkerHost>(worker);
  // A site whose proxy lives elsewhere (`tabdock proxy`, the edge worker) names it in
  // <meta name="tabdock-proxy" content="https://...">.
  const meta = typeof document !== 'undefined' ? document.querySelector<HTMLMetaElement>('meta[name="tabdock-proxy"]')?.content : undefined;
  // Likewise a relay elsewhere (the edge serves none): <meta name="tabdock-relay" content="wss://.../wisp/">,
  // or content="off" for none at all.
  const relayMeta = typeof document !== 'undefined' ? document.querySelector<HTMLMetaElement>('meta[name="tabdock-relay"]')?.content : undefined;
  const relay = o.relay ?? (relayMeta?.trim().toLowerCase() === 'off' ? false : relayMeta ? new URL(relayMeta, document.baseURI).href : new URL('wisp/', root).href);
  const config: WorkerConfig = {
    proxy: o.proxy ?? (meta ? new URL(meta, document.baseURI).href : new URL('proxy', root).href).replace(/\/$/, ''),
    ...(relay === false ? {} : { relay: relayUrl(relay) }),
    assets: o.assets ?? new URL('guest/', root).href,
    db: o.db ?? 'tabdock',
    ...(o.memoryBytes !== undefined ? { memoryBytes: o.memoryBytes } : {}),
  };
  const ready = host.init(config);
  const subscribers = new Set<(e: BrowserEvent) => void>();
  const fan = (e: BrowserEvent) => subscribers.forEach((s) => s(e));
  void ready.then(() => host.listen(proxy(fan)));
  // The engine's events: one subscription through the contract, made when the page first
  // wants events (it opens the stores), kept for the page's life, made again if it failed.
  let engineEvents: Promise<unknown> | undefined;
  const subscribeEngine = () => {
    engineEvents ??= ready
      .then(() => host.call('subscribeEvents', proxy(fan)) as Promise<Remote<EventSubscription>>)
      .catch((e: unknown) => {
        engineEvents = undefined;
        console.warn('tabdock: no engine events', e);
      });
  };

  const engine: Record<string, unknown> = {
    subscribe(onEvent: (e: BrowserEvent) => void) {
      subscribers.add(onEvent);
      subscribeEngine();
      return () => subscribers.delete(onEvent);
    },
    // The contract's form, for code written against EngineApi: the engine's events only.
    async subscribeEvents(onEvent: (e: EngineEvent) => void, opts?: EventOptions): Promise<EventSubscription> {
      // A replay (`events --since`) is the worker's to make: a subscription of its own.
      if (opts?.since !== undefined) {
        await ready;
        const remote = (await host.call('subscribeEvents', proxy(onEvent), opts)) as Remote<EventSubscription>;
        return {
          close: async () => {
            try {
              await remote.close();
            } finally {
              remote[releaseProxy]();
            }
          },
        };
      }
      const only = (e: BrowserEvent) => void (isEngineEvent(e) && onEvent(e));
      subscribers.add(only);
      subscribeEngine();
      return { close: async () => void subscribers.delete(only) };
    },
    bootStatus: async () => (await ready, host.bootStatus()),
    warmUp: async () => (await ready, host.warmUp()),
    reset: async () => (await ready, host.reset()),
    previewHas: async (container12: string) => (await ready, host.previewHas(container12)),
    // The Service Worker's port goes on to the worker: the bytes do not pass through the page.
    previewServe: async (request: unknown, port: MessagePort) => (await ready, host.previewServe(request as never, transfer(port, [port]) as never)),
  };
  for (const m of RPC_METHODS) {
    if (m === 'subscribeEvents') continue; // above: one subscription in the worker serves the page
    engine[m] = async (...args: unknown[]) => {
      await ready;
      // Functions cross by reference; plain data is copied.
      const r = await host.call(m, ...args.map((a) => (typeof a === 'function' ? proxy(a as (...x: unknown[]) => unknown) : a)));
      return HANDLE_ENDS[m] ? localHandle(r as Remote<Record<string, (...a: unknown[]) => Promise<unknown>>>) : r;
    };
  }
  return engine as unknown as BrowserEngine;
}

/**
 * An attach/exec handle used from the page: its methods call into the worker; the port
 * behind it is released when the stream ends (detach, or exec's wait resolving).
 */
function localHandle(remote: Remote<Record<string, (...a: unknown[]) => Promise<unknown>>>): object {
  let released = false;
  const inFlight = new Set<Promise<unknown>>();
  // After the calls still under way settle: a write waiting on the guest must get its answer.
  const release = async () => {
    if (released) return;
    released = true;
    await Promise.allSettled([...inFlight]);
    remote[releaseProxy]();
  };
  const call = (name: string) => async (...args: unknown[]) => {
    if (released) return undefined;
    const p = remote[name]!(...args);
    inFlight.add(p);
    try {
      return await p;
    } finally {
      inFlight.delete(p);
    }
  };
  return {
    write: call('write'),
    closeStdin: call('closeStdin'),
    resize: call('resize'),
    detach: async (o?: { escape?: boolean }) => {
      try {
        await call('detach')(o);
      } finally {
        void release();
      }
    },
    wait: async () => {
      try {
        return await call('wait')();
      } finally {
        void release();
      }
    },
  };
}

/** The worker's own events; everything else is the engine's (a new kind needs no change here). */
const WORKER_ONLY: ReadonlySet<BrowserEvent['type']> = new Set(['boot', 'pull', 'pull-done'] satisfies Exclude<BrowserEvent, EngineEvent>['type'][]);
const isEngineEvent = (e: BrowserEvent): e is EngineEvent => !WORKER_ONLY.has(e.type);

let shared: BrowserEngine | undefined;

/** The page's one engine (the playground and every embed on the page share it). */
export function sharedEngine(o: ConnectOptions = {}): BrowserEngine {
  return (shared ??= connectEngine(o));
}

export type { BrowserEngine, BrowserEvent, EngineEvent, EngineApi };
