import type { Socket } from 'node:net';
import { TabdockError, type SerializedError } from '../../shared/errors.ts';

/**
 * A symmetric RPC peer over one socket: JSON lines, calls with promised results, and
 * functions passed either way as handles (progress callbacks from the daemon, stdin
 * writers back to it). Bytes travel as base64; errors as `TabdockError` JSON.
 */
type Msg =
  | { t: 'call'; id: number; method: string; args: unknown[] }
  | { t: 'ok'; id: number; value: unknown }
  | { t: 'err'; id: number; error: SerializedError }
  | { t: 'invoke'; id: number; fn: number; args: unknown[] }
  | { t: 'release'; fn: number };

type Fn = (...args: unknown[]) => unknown;

export class RpcPeer {
  private nextId = 1;
  private nextFn = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly fns = new Map<number, Fn>();
  private buf = '';
  private api: Record<string, unknown> | undefined;
  private closed = false;
  readonly onClose: (() => void)[] = [];

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    const close = () => this.close(new TabdockError('DAEMON_GONE', 'the tabdock daemon connection closed', {}, { retryable: true }));
    socket.on('close', close);
    socket.on('error', close);
  }

  expose(api: object): void {
    this.api = api as Record<string, unknown>;
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new TabdockError('DAEMON_GONE', 'the tabdock daemon connection closed', {}, { retryable: true }));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ t: 'call', id, method, args: args.map((a) => this.marshal(a)) });
    });
  }

  /** A typed view of the other side's API. */
  remote<T extends object>(): T {
    // Not thenable: an async function may return this view without being awaited into.
    return new Proxy({}, { get: (_t, method) => (method === 'then' || typeof method !== 'string' ? undefined : (...args: unknown[]) => this.call(method, ...args)) }) as T;
  }

  private send(m: Msg): void {
    if (!this.closed) this.socket.write(`${JSON.stringify(m)}\n`);
  }

  private marshal(v: unknown): unknown {
    if (typeof v === 'function') {
      const fn = this.nextFn++;
      this.fns.set(fn, v as Fn);
      return { __fn: fn };
    }
    if (v instanceof Uint8Array) return { __bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    if (Array.isArray(v)) return v.map((x) => this.marshal(x));
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = this.marshal(x);
      return o;
    }
    return v;
  }

  private unmarshal(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.unmarshal(x));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['__fn'] === 'number') {
        const fn = o['__fn'];
        // A handle's call resolves with what the function returned on the other side.
        return (...args: unknown[]) => {
          const id = this.nextId++;
          const p = new Promise((resolve, reject) => {
            if (this.closed) return reject(new TabdockError('DAEMON_GONE', 'the other side of the connection is gone', {}, { retryable: true }));
            this.pending.set(id, { resolve, reject });
            this.send({ t: 'invoke', id, fn, args: args.map((a) => this.marshal(a)) });
          });
          // Callbacks are often fired and forgotten (output to a client that left): a
          // failure then is no crash; whoever awaits the call still gets it.
          p.catch(() => {});
          return p;
        };
      }
      if (typeof o['__bytes'] === 'string') return new Uint8Array(Buffer.from(o['__bytes'], 'base64'));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = this.unmarshal(x);
      return out;
    }
    return v;
  }

  private receive(chunk: string): void {
    this.buf += chunk;
    for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line) void this.handle(JSON.parse(line) as Msg);
    }
  }

  private async handle(m: Msg): Promise<void> {
    switch (m.t) {
      case 'call': {
        const method = this.api?.[m.method];
        try {
          if (typeof method !== 'function') throw new TabdockError('RPC_UNKNOWN', `the daemon has no method ${m.method}`, {});
          const value = await (method as Fn).apply(this.api, m.args.map((a) => this.unmarshal(a)));
          this.send({ t: 'ok', id: m.id, value: this.marshal(value) });
        } catch (e) {
          const err = TabdockError.is(e) ? e : new TabdockError('INTERNAL', e instanceof Error ? e.message : String(e), {});
          this.send({ t: 'err', id: m.id, error: err.toJSON() });
        }
        return;
      }
      case 'ok':
      case 'err': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.t === 'ok') p?.resolve(this.unmarshal(m.value));
        else p?.reject(TabdockError.fromJSON(m.error));
        return;
      }
      case 'invoke':
        try {
          const fn = this.fns.get(m.fn);
          if (!fn) throw new TabdockError('RPC_UNKNOWN', 'that function handle is no longer valid', {});
          const value = await fn(...m.args.map((a) => this.unmarshal(a)));
          this.send({ t: 'ok', id: m.id, value: this.marshal(value) });
        } catch (e) {
          const err = TabdockError.is(e) ? e : new TabdockError('INTERNAL', e instanceof Error ? e.message : String(e), {});
          this.send({ t: 'err', id: m.id, error: err.toJSON() });
        }
        return;
      case 'release':
        this.fns.delete(m.fn);
    }
  }

  close(reason?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(reason ?? new TabdockError('DAEMON_GONE', 'the tabdock daemon connection closed', {}, { retryable: true }));
    this.pending.clear();
    this.fns.clear();
    this.socket.destroy();
    for (const f of this.onClose) f();
  }
}
