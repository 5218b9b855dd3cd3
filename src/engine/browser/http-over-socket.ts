/**
 * One HTTP/1.1 exchange over a byte stream (a GuestSocket: the agent's connection to a
 * container's port), for the page's preview URLs. RFC 9112: the request is written with
 * `Connection: close` (one request per connection, so the end of the response is never
 * in doubt); the response's status line and headers are parsed, and its body is handed
 * back as a ReadableStream as it arrives, framed by Content-Length, chunked
 * Transfer-Encoding, or the connection's end (section 6.3). Backpressure: the socket is
 * paused while the stream's consumer is behind.
 */

/** The GuestSocket shape (net-contract.md, src/emulator/guest-socket.ts) this needs. */
export interface ByteSocket {
  onData(l: (chunk: Uint8Array) => void): () => void;
  onEnd(l: () => void): () => void;
  /** Settles when the stream is gone, never before bytes held by pause() are handed over. */
  readonly closed: Promise<void>;
  write(data: Uint8Array): Promise<void>;
  end(): void;
  close(): void;
  pause(): void;
  resume(): void;
}

export interface HttpRequest {
  method: string;
  /** Origin-form target: `/path?query`. */
  target: string;
  /** Header pairs as sent by the client; hop-by-hop ones are dropped here. */
  headers: readonly (readonly [string, string])[];
  /** Absent for GET/HEAD. A stream is sent chunked unless the headers give its Content-Length. */
  body?: ReadableStream<Uint8Array> | Uint8Array | null;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** null for HEAD, 1xx, 204 and 304 (no body by definition). */
  body: ReadableStream<Uint8Array> | null;
}

export class HttpOverSocketError extends Error {
  override name = 'HttpOverSocketError';
}

/** Headers that belong to one connection (RFC 9110 section 7.6.1) and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const MAX_HEAD = 64 * 1024;
/** Response bytes held for a slow consumer before the socket is paused. */
const HIGH_WATER = 1024 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const enc = new TextEncoder();

export async function httpOverSocket(socket: ByteSocket, req: HttpRequest): Promise<HttpResponse> {
  if (!TOKEN.test(req.method)) throw new HttpOverSocketError(`not an HTTP method: ${req.method}`);
  if (!req.target.startsWith('/') || /[\s]/.test(req.target)) throw new HttpOverSocketError(`not an origin-form target: ${req.target}`);
  const { head, chunked } = requestHead(req); // throws before anything is sent
  const reader = responseReader(socket, req.method.toUpperCase() === 'HEAD');
  try {
    await socket.write(head);
    await writeBody(socket, req.body ?? null, chunked);
  } catch (e) {
    reader.catch(() => {}); // the write's error is the one to report
    socket.close();
    throw e;
  }
  return reader;
}

function requestHead(req: HttpRequest): { head: Uint8Array; chunked: boolean } {
  const lines = [`${req.method} ${req.target} HTTP/1.1`];
  let length: string | undefined;
  let host = false;
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) throw new HttpOverSocketError(`header ${JSON.stringify(name)} cannot be sent`);
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'content-length') {
      length = value.trim();
      continue;
    }
    if (lower === 'host') host = true;
    lines.push(`${name}: ${value}`);
  }
  if (!host) lines.push('Host: localhost');
  lines.push('Connection: close');
  const body = req.body ?? null;
  let chunked = false;
  if (body instanceof Uint8Array) lines.push(`Content-Length: ${body.byteLength}`);
  else if (body && length !== undefined && /^\d+$/.test(length)) lines.push(`Content-Length: ${length}`);
  else if (body) {
    lines.push('Transfer-Encoding: chunked');
    chunked = true;
  }
  return { head: enc.encode(lines.join('\r\n') + '\r\n\r\n'), chunked };
}

async function writeBody(socket: ByteSocket, body: HttpRequest['body'], chunked: boolean): Promise<void> {
  if (body instanceof Uint8Array) {
    if (body.byteLength) await socket.write(body);
  } else if (body) {
    const r = body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      if (!value?.byteLength) continue;
      if (chunked) await socket.write(enc.encode(value.byteLength.toString(16) + '\r\n'));
      await socket.write(value);
      if (chunked) await socket.write(enc.encode('\r\n'));
    }
    if (chunked) await socket.write(enc.encode('0\r\n\r\n'));
  }
  // No FIN: some servers answer a half-closed connection by closing it (Connection: close
  // already says this is the only request).
}

/** Parse the response from what the socket delivers; resolves at the end of the head. */
function responseReader(socket: ByteSocket, isHead: boolean): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    let head: Uint8Array = new Uint8Array(0);
    let body: Body | undefined;
    let settled = false;
    const fail = (e: Error) => {
      if (!settled) {
        settled = true;
        reject(e);
      } else body?.error(e);
      off();
      socket.close();
    };
    const onData = (chunk: Uint8Array) => {
      if (body) return body.push(chunk);
      head = concat(head, chunk);
      for (;;) {
        const end = indexOfCrlfCrlf(head);
        if (end < 0) {
          if (head.byteLength > MAX_HEAD) fail(new HttpOverSocketError('the response head is larger than 64 KiB'));
          return;
        }
        const parsed = parseHead(new TextDecoder('latin1').decode(head.subarray(0, end)));
        if (!parsed) return fail(new HttpOverSocketError('the container did not answer with HTTP/1.x'));
        const rest = head.subarray(end + 4);
        if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) {
          head = rest; // 100 Continue, 103 Early Hints: the real answer follows
          continue;
        }
        if (parsed.status === 101) return fail(new HttpOverSocketError('the container switched protocols; upgrades cannot be carried to the page'));
        const noBody = isHead || parsed.status === 204 || parsed.status === 304;
        const framing = noBody ? { kind: 'none' as const } : framingOf(parsed.headers);
        if (framing.kind === 'invalid') return fail(new HttpOverSocketError(framing.why));
        settled = true;
        if (framing.kind === 'none') {
          resolve({ ...parsed, body: null });
          off();
          socket.close();
          return;
        }
        body = new Body(socket, framing, () => (off(), socket.close()));
        resolve({ ...parsed, body: body.stream });
        if (rest.byteLength) body.push(rest);
        return;
      }
    };
    const offData = socket.onData(onData);
    const offEnd = socket.onEnd(() => {
      if (body) body.end();
      else fail(new HttpOverSocketError('the container closed the connection without an answer'));
    });
    const off = () => (offData(), offEnd());
    void socket.closed.then(() => {
      if (body) body.end();
      else if (!settled) fail(new HttpOverSocketError('the connection closed without an answer'));
    });
  });
}

type Framing = { kind: 'length'; n: number } | { kind: 'chunked' } | { kind: 'close' };

function framingOf(headers: readonly [string, string][]): Framing | { kind: 'invalid'; why: string } {
  const te = headers.filter(([k]) => k.toLowerCase() === 'transfer-encoding').map(([, v]) => v.toLowerCase()).join(',');
  if (te) {
    const codings = te.split(',').map((s) => s.trim()).filter(Boolean);
    // Section 6.3: chunked last means chunked; anything else is read to the close.
    return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  const lengths = new Set(headers.filter(([k]) => k.toLowerCase() === 'content-length').flatMap(([, v]) => v.split(',').map((s) => s.trim())));
  if (lengths.size > 1) return { kind: 'invalid', why: 'the response has conflicting Content-Length values' };
  const [only] = lengths;
  if (only === undefined) return { kind: 'close' };
  if (!/^\d{1,15}$/.test(only)) return { kind: 'invalid', why: `the response's Content-Length "${only}" is not a number` };
  return { kind: 'length', n: Number(only) };
}

function parseHead(text: string): { status: number; statusText: string; headers: [string, string][] } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return undefined;
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers };
}

/** A response body being framed and streamed out. */
class Body {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private remaining: number;
  private done = false;
  // chunked state
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' = 'size';
  private line = '';

  constructor(private readonly socket: ByteSocket, private readonly framing: Framing, private readonly release: () => void) {
    this.remaining = framing.kind === 'length' ? framing.n : 0;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.controller = c),
        pull: () => socket.resume(),
        cancel: () => this.finish(false),
      },
      { highWaterMark: HIGH_WATER, size: (c) => c.byteLength },
    );
    if (framing.kind === 'length' && framing.n === 0) queueMicrotask(() => this.finish(true));
  }

  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.framing.kind === 'close') this.emit(chunk);
    else if (this.framing.kind === 'length') {
      const take = chunk.subarray(0, Math.min(chunk.byteLength, this.remaining));
      this.remaining -= take.byteLength;
      this.emit(take);
      if (this.remaining === 0) this.finish(true);
    } else this.chunked(chunk);
  }

  /** The socket ended: complete for close-delimited bodies, an error otherwise. */
  end(): void {
    if (this.done) return;
    if (this.framing.kind === 'close') this.finish(true);
    else this.error(new HttpOverSocketError('the container closed the connection before the body ended'));
  }

  error(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.controller.error(e);
    this.release();
  }

  private emit(bytes: Uint8Array): void {
    if (!bytes.byteLength) return;
    this.controller.enqueue(bytes.slice()); // a copy: the socket may reuse its buffer
    if ((this.controller.desiredSize ?? 1) <= 0) this.socket.pause();
  }

  private finish(ok: boolean): void {
    if (this.done) return;
    this.done = true;
    if (ok) this.controller.close();
    this.release();
  }

  private chunked(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.byteLength && !this.done) {
      if (this.state === 'data') {
        const take = chunk.subarray(i, i + Math.min(this.remaining, chunk.byteLength - i));
        this.emit(take);
        this.remaining -= take.byteLength;
        i += take.byteLength;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      // Line-oriented states: size line, the CRLF after data, trailer lines.
      const nl = chunk.indexOf(0x0a, i);
      const end = nl < 0 ? Math.min(chunk.byteLength, i + 4097) : nl + 1;
      this.line += String.fromCharCode(...chunk.subarray(i, end));
      i = end;
      if (this.line.length > 4096) return this.error(new HttpOverSocketError('a chunk header line is too long'));
      if (nl < 0) continue;
      const line = this.line.replace(/\r?\n$/, '');
      this.line = '';
      if (this.state === 'data-crlf') {
        if (line !== '') return this.error(new HttpOverSocketError('a chunk did not end with CRLF'));
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = /^([0-9a-fA-F]{1,12})(?:[ \t]*;.*)?[ \t]*$/.exec(line);
        if (!m) return this.error(new HttpOverSocketError(`bad chunk size line "${line.slice(0, 40)}"`));
        this.remaining = parseInt(m[1]!, 16);
        this.state = this.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.finish(true); // the empty line after the trailers
      }
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.byteLength; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}
