/**
 * The page's side of the engine: one Web Worker per page (every terminal, panel and embed
 * shares it), spoken to through comlink. Callbacks cross as proxies, live handles
 * (attach/exec) come back as proxies, errors come back as TabdockErrors.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import './comlink-errors.ts';
import type { EngineApi } from '../api.ts';
import { ENGINE_METHODS, RETURNS_HANDLE } from './engine-methods.ts';
import type { BrowserEngine, EngineEvent } from './events.ts';
import type { WorkerConfig, WorkerHost } from './worker-host.ts';

export interface ConnectOptions {
  /** CORS proxy base URL; default: the page's `<meta name="tabdock-proxy">`, else `proxy` beside the site's root. */
  proxy?: string;
  /** Where the guest files are; default `guest/` beside the site's root. */
  assets?: string;
  /** IndexedDB name prefix (tests and several playgrounds on one origin). */
  db?: string;
  /** The worker to use (default: the bundled worker.ts). */
  worker?: Worker;
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
  const config: WorkerConfig = {
    proxy: o.proxy ?? (meta ? new URL(meta, document.baseURI).href : new URL('proxy', root).href).replace(/\/$/, ''),
    assets: o.assets ?? new URL('guest/', root).href,
    db: o.db ?? 'tabdock',
  };
  const ready = host.init(config);
  const subscribers = new Set<(e: EngineEvent) => void>();
  const listening = ready.then(() => host.listen(proxy((e: EngineEvent) => subscribers.forEach((s) => s(e)))));

  const engine: Record<string, unknown> = {
    subscribe(onEvent: (e: EngineEvent) => void) {
      subscribers.add(onEvent);
      void listening;
      return () => subscribers.delete(onEvent);
    },
    bootStatus: async () => (await ready, host.bootStatus()),
    warmUp: async () => (await ready, host.warmUp()),
    reset: async () => (await ready, host.reset()),
  };
  for (const m of ENGINE_METHODS) {
    engine[m] = async (...args: unknown[]) => {
      await ready;
      // Functions cross by reference; plain data is copied.
      const r = await host.call(m, ...args.map((a) => (typeof a === 'function' ? proxy(a as (...x: unknown[]) => unknown) : a)));
      return RETURNS_HANDLE.has(m) ? localHandle(r as Remote<Record<string, (...a: unknown[]) => Promise<unknown>>>) : r;
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
    detach: async () => {
      try {
        await call('detach')();
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

let shared: BrowserEngine | undefined;

/** The page's one engine (the playground and every embed on the page share it). */
export function sharedEngine(o: ConnectOptions = {}): BrowserEngine {
  return (shared ??= connectEngine(o));
}

export type { BrowserEngine, EngineEvent, EngineApi };
