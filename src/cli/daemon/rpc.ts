import type { Socket } from 'node:net';
import { TabdockError, type SerializedError } from '../../shared/errors.ts';
import { CANCEL_ON_LEAVE, HANDLE_ENDS, STREAM_END, isRpcMethod, onHandleEnd, type RpcMethod } from '../../engine/rpc-contract.ts';

/**
 * A symmetric RPC peer over one socket: JSON lines, calls with promised results, and
 * functions passed either way as handles (progress callbacks from the daemon, stdin
 * writers back to it). Bytes travel as base64; errors as `TabdockError` JSON.
 *
 * Handles live only as long as their stream (rpc-contract.ts): the functions a call
 * carries are dropped when it settles, unless it returned a live handle (attach, exec, an
 * event subscription); then they and the handle go when the handle's stream ends: the
 * caller drops its callbacks and sends `release` for the handle's functions once an
 * ending method (exec `wait`, `detach`, `close`) settled, and the serving side sends
 * `release` for the caller's callbacks when the engine ends the stream (the process or
 * container exited). A closed connection drops everything.
 */
type Msg =
  | { t: 'call'; id: number; method: string; args: unknown[] }
  | { t: 'ok'; id: number; value: unknown }
  | { t: 'err'; id: number; error: SerializedError }
  | { t: 'invoke'; id: number; fn: number; args: unknown[] }
  | { t: 'release'; fns: number[] };

type Fn = (...args: unknown[]) => unknown;
type Pending = { resolve(wire: unknown): void; reject(e: unknown): void };

/** The longest line accepted: a copy's 1 MiB piece is about 1.4 MB of base64; this leaves room. */
export const MAX_LINE = 32 * 1024 * 1024;

/** Why a parsed line is not a message of this protocol, or undefined when it is. */
function malformed(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not a JSON object';
  const o = m as Record<string, unknown>;
  const isId = (k: string) => typeof o[k] === 'number' && Number.isSafeInteger(o[k]);
  switch (o['t']) {
    case 'call':
      return isId('id') && typeof o['method'] === 'string' && Array.isArray(o['args']) ? undefined : 'a call needs a numeric id, a method name and an args list';
    case 'ok':
      return isId('id') ? undefined : 'an answer needs a numeric id';
    case 'err':
      return isId('id') && typeof o['error'] === 'object' && o['error'] !== null ? undefined : 'an error answer needs a numeric id and an error';
    case 'invoke':
      return isId('id') && isId('fn') && Array.isArray(o['args']) ? undefined : 'an invoke needs numeric id and fn, and an args list';
    case 'release':
      return Array.isArray(o['fns']) && o['fns'].every((f) => typeof f === 'number') ? undefined : 'a release needs a list of numeric handles';
    default:
      return `unknown message type ${JSON.stringify(o['t'])}`;
  }
}

const gone = () => new TabdockError('DAEMON_GONE', 'the tabdock daemon connection closed', {}, { retryable: true });

export class RpcPeer {
  private nextId = 1;
  private nextFn = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly fns = new Map<number, Fn>();
  /** Live handles this side returned, with their functions' ids: ended for the caller when it leaves. */
  private readonly served = new Set<{ handle: Record<string, unknown>; fns: number[] }>();
  private api: Record<string, unknown> | undefined;
  private allowed: ReadonlySet<string> = new Set();
  private closed = false;
  /** Calls under way that end when this connection closes (`CANCEL_ON_LEAVE`). */
  private readonly leaving = new Set<AbortController>();
  readonly onClose: (() => void)[] = [];

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    const close = () => this.close(gone());
    socket.on('close', close);
    socket.on('error', close);
  }

  /** Serves `methods` of `api` (and nothing else of it) to the other side. */
  expose(api: object, methods: readonly string[]): void {
    this.api = api as Record<string, unknown>;
    this.allowed = new Set(methods);
  }

  /** Sizes of this peer's tables: function handles it handed out, calls awaiting an answer. */
  get tables(): { handles: number; pending: number } {
    return { handles: this.fns.size + this.served.size, pending: this.pending.size };
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(gone());
    const id = this.nextId++;
    const made: number[] = [];
    const wire = args.map((a) => this.marshal(a, made));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (w) => resolve(this.settled(method, made, w) as T),
        reject: (e) => {
          this.drop(made);
          reject(e);
        },
      });
      this.send({ t: 'call', id, method, args: wire });
    });
  }

  /** A typed view of the other side's API. */
  remote<T extends object>(): T {
    // Not thenable: an async function may return this view without being awaited into.
    return new Proxy({}, { get: (_t, method) => (method === 'then' || typeof method !== 'string' ? undefined : (...args: unknown[]) => this.call(method, ...args)) }) as T;
  }

  /** A call's answer arrived: its callbacks go now, or with the live handle it returned. */
  private settled(method: string, made: number[], wire: unknown): unknown {
    const theirs: number[] = [];
    const value = this.unmarshal(wire, theirs);
    if (!theirs.length || !isRpcMethod(method) || !HANDLE_ENDS[method] || !value || typeof value !== 'object') {
      this.drop(made);
      return value;
    }
    return onHandleEnd(method, value, () => {
      this.drop(made);
      this.send({ t: 'release', fns: theirs });
    });
  }

  private drop(ids: readonly number[]): void {
    for (const id of ids) this.fns.delete(id);
  }

  private send(m: Msg): void {
    if (!this.closed) this.socket.write(`${JSON.stringify(m)}\n`);
  }

  private marshal(v: unknown, made: number[]): unknown {
    if (typeof v === 'function') {
      const fn = this.nextFn++;
      this.fns.set(fn, v as Fn);
      made.push(fn);
      return { __fn: fn };
    }
    if (v instanceof Uint8Array) return { __bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    if (Array.isArray(v)) return v.map((x) => this.marshal(x, made));
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = this.marshal(x, made);
      return o;
    }
    return v;
  }

  /** `theirs` collects the other side's function handles found in `v`. */
  private unmarshal(v: unknown, theirs: number[]): unknown {
    if (Array.isArray(v)) return v.map((x) => this.unmarshal(x, theirs));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['__fn'] === 'number') {
        const fn = o['__fn'];
        theirs.push(fn);
        // A handle's call resolves with what the function returned on the other side.
        return (...args: unknown[]) => {
          const id = this.nextId++;
          const made: number[] = [];
          const p = new Promise((resolve, reject) => {
            if (this.closed) return reject(new TabdockError('DAEMON_GONE', 'the other side of the connection is gone', {}, { retryable: true }));
            this.pending.set(id, {
              resolve: (w) => {
                this.drop(made);
                resolve(this.unmarshal(w, []));
              },
              reject: (e) => {
                this.drop(made);
                reject(e);
              },
            });
            this.send({ t: 'invoke', id, fn, args: args.map((a) => this.marshal(a, made)) });
          });
          // Callbacks are often fired and forgotten (output to a client that left): a
          // failure then is no crash; whoever awaits the call still gets it.
          p.catch(() => {});
          return p;
        };
      }
      if (typeof o['__bytes'] === 'string') return new Uint8Array(Buffer.from(o['__bytes'], 'base64'));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = this.unmarshal(x, theirs);
      return out;
    }
    return v;
  }

  /**
   * Splits the stream into lines, looking for a newline only in what just arrived (a long
   * line costs its length once, not its length squared), and refuses a line over
   * MAX_LINE: the connection is told why and closed, the daemon goes on.
   */
  private receive(chunk: string): void {
    if (this.refused) return;
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      const line = this.partLength ? this.parts.join('') + chunk.slice(from, nl) : chunk.slice(from, nl);
      this.parts = [];
      this.partLength = 0;
      from = nl + 1;
      if (line.length > MAX_LINE) return this.refuseLine(line.length);
      if (line) this.accept(line);
      if (this.closed) return;
    }
    if (from < chunk.length) {
      this.parts.push(chunk.slice(from));
      this.partLength += chunk.length - from;
      if (this.partLength > MAX_LINE) this.refuseLine(this.partLength);
    }
  }

  private parts: string[] = [];
  private partLength = 0;

  private refused = false;

  private refuseLine(length: number): void {
    this.parts = [];
    this.partLength = 0;
    this.refused = true; // what else comes on this connection is dropped unread
    this.send({ t: 'err', id: 0, error: new TabdockError('RPC_BAD_MESSAGE', `a message of more than ${MAX_LINE} characters (${length} so far); closing the connection`, { length }).toJSON() });
    // Ended, not destroyed at once: a reset would discard the answer on its way. The
    // connection goes for good shortly after, whatever the other side keeps sending.
    this.socket.end();
    setTimeout(() => this.close(new TabdockError('RPC_BAD_MESSAGE', 'the other side sent a message over the size limit', {})), 2000).unref();
  }

  /** One line: a message of the protocol, or an error answer (to its id when it has one). */
  private accept(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      m = undefined;
    }
    const why = malformed(m);
    if (why) {
      const id = typeof (m as { id?: unknown } | null)?.id === 'number' ? (m as { id: number }).id : 0;
      this.send({ t: 'err', id, error: new TabdockError('RPC_BAD_MESSAGE', `malformed message: ${why}`, {}).toJSON() });
      return;
    }
    this.handle(m as Msg).catch((e: unknown) => {
      // Nothing a peer sends may end the process; what failed is told to it where it can be.
      const id = (m as { id?: unknown }).id;
      if (typeof id === 'number') this.send({ t: 'err', id, error: asError(e).toJSON() });
    });
  }

  private async handle(m: Msg): Promise<void> {
    switch (m.t) {
      case 'call': {
        try {
          // Only the listed methods: the engine object also has `dispose`, `init`, its services.
          const method = this.allowed.has(m.method) ? this.api?.[m.method] : undefined;
          if (typeof method !== 'function') throw new TabdockError('RPC_REFUSED', `the daemon serves no method "${m.method}" to clients`, { method: m.method });
          const theirs: number[] = [];
          const args = m.args.map((a) => this.unmarshal(a, theirs));
          const at = CANCEL_ON_LEAVE[m.method as RpcMethod];
          const opts = at === undefined ? undefined : args[at];
          const leave = at !== undefined && (opts === undefined || (opts !== null && typeof opts === 'object')) ? new AbortController() : undefined;
          if (leave && at !== undefined) {
            args[at] = { ...(opts as object | undefined), signal: leave.signal };
            this.leaving.add(leave);
          }
          let value: unknown;
          try {
            value = await (method as Fn).apply(this.api, args);
          } finally {
            if (leave) this.leaving.delete(leave);
          }
          const mine: number[] = [];
          this.send({ t: 'ok', id: m.id, value: this.marshal(value, mine) });
          const entry = mine.length ? { handle: value as Record<string, unknown>, fns: mine } : undefined;
          if (entry) this.served.add(entry);
          // The engine ended the stream (process or container exited): the caller's callbacks go.
          const ended = value && typeof value === 'object' ? (value as { [STREAM_END]?: Promise<void> })[STREAM_END] : undefined;
          if (ended && theirs.length) void ended.then(() => this.send({ t: 'release', fns: theirs }));
        } catch (e) {
          this.send({ t: 'err', id: m.id, error: asError(e).toJSON() });
        }
        return;
      }
      case 'ok':
      case 'err': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.t === 'ok') p?.resolve(m.value);
        else p?.reject(TabdockError.fromJSON(m.error));
        return;
      }
      case 'invoke':
        try {
          const fn = this.fns.get(m.fn);
          if (!fn) throw new TabdockError('RPC_UNKNOWN', 'that function handle is no longer valid', {});
          const value = await fn(...m.args.map((a) => this.unmarshal(a, [])));
          this.send({ t: 'ok', id: m.id, value: this.marshal(value, []) });
        } catch (e) {
          this.send({ t: 'err', id: m.id, error: asError(e).toJSON() });
        }
        return;
      case 'release':
        this.drop(m.fns);
        for (const e of this.served) if (e.fns.includes(m.fns[0]!)) this.served.delete(e);
    }
  }

  close(reason?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    // Calls that stop when their caller leaves (a pull) are told now.
    for (const c of this.leaving) c.abort(gone());
    this.leaving.clear();
    for (const p of this.pending.values()) p.reject(reason ?? gone());
    this.pending.clear();
    this.fns.clear();
    // A caller that left ends what it held: attachments detach, subscriptions close.
    for (const { handle } of this.served) {
      const end = handle['detach'] ?? handle['close'];
      if (typeof end === 'function') void Promise.resolve((end as Fn).call(handle)).catch(() => {});
    }
    this.served.clear();
    this.socket.destroy();
    for (const f of this.onClose) f();
  }
}

function asError(e: unknown): TabdockError {
  return TabdockError.is(e) ? e : new TabdockError('INTERNAL', e instanceof Error ? e.message : String(e), {});
}
