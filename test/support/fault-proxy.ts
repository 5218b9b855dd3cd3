// Failure injection in front of a real TestRegistry: a loopback reverse proxy that passes
// requests through unchanged except where a rule says otherwise (429/503 a few times,
// cut or corrupt a body, rewrite headers). It counts every request per path. It is not a
// stand-in for the registry: every answer that is not a fault comes from the registry.
//
// The client's Host header is forwarded, so URLs the registry builds (upload Locations)
// point back at the proxy. Redirects to a TestCdn and the token realm are NOT proxied:
// faults apply to the registry's own answers.
import { request as httpRequest, createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server } from 'node:http';

export interface FaultRequest {
  method: string;
  /** Path and query. */
  path: string;
  status: number;
  /** The rule kind applied, if any. */
  fault?: FaultRule['kind'];
  /** Set when the client closed the connection before the answer was complete. */
  clientClosed?: boolean;
}

interface RuleBase {
  /** Which requests: substring of the path, RegExp on the path, or a predicate. Default: all. */
  match?: string | RegExp | ((req: { method: string; path: string }) => boolean);
  /** Only this HTTP method (e.g. 'GET'). */
  method?: string;
  /** How many matching requests the rule hits; later ones pass through. Default: all. */
  times?: number;
}

export type FaultRule = RuleBase &
  (
    | /** 429 with Docker Hub's rate-limit headers (`RateLimit-Limit: 100;w=21600`, remaining 0). */
    { kind: 'rateLimit'; retryAfter?: number | null; limit?: number; window?: number }
    | /** 503 Service Unavailable, with `Retry-After` when given. */
    { kind: 'unavailable'; retryAfter?: number | null }
    | /** Any status and body, e.g. 500 or a 401 the registry would not send. */
    { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
    | /** Upstream status and headers (Content-Length included), then the connection is cut after `afterBytes`. */
    { kind: 'truncate'; afterBytes: number }
    | /** Passes the body through with the byte at `atByte` flipped (same length). */
    { kind: 'corrupt'; atByte: number }
    | /** Passes through with these response headers replaced (e.g. a lying `Docker-Content-Digest`). */
    { kind: 'headers'; set: Record<string, string> }
    | /** Upstream status and headers, then the body paced at `bytesPerTick` every `tickMs` (a stalling or trickling registry). */
    { kind: 'trickle'; bytesPerTick: number; tickMs: number }
    | /** Closes the connection without answering (a network error for the client). */
    { kind: 'drop' }
    | /** Passes through after `ms` milliseconds (for timeouts and slow-link progress). */
    { kind: 'delay'; ms: number }
    | /** Passes through once `until` resolves ("not answered yet" without a clock), or with `then: 'drop'` closes the connection then. */
    { kind: 'hold'; until: Promise<unknown>; then?: 'drop' }
  );

export interface FaultProxy {
  readonly url: string;
  /** `127.0.0.1:PORT`, the reference prefix through the proxy. */
  readonly host: string;
  /** Every request, in order. */
  readonly requests: FaultRequest[];
  /** Number of requests per path (query stripped). */
  count(path: string): number;
  /** Replaces the rules (their hit counters restart). */
  setRules(rules: FaultRule[]): void;
  reset(): void;
  stop(): Promise<void>;
}

interface LiveRule {
  rule: FaultRule;
  hits: number;
}

export async function startFaultProxy(upstreamUrl: string, rules: FaultRule[] = []): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  if (upstream.hostname !== '127.0.0.1' && upstream.hostname !== 'localhost') {
    throw new Error(`fault proxy only fronts loopback registries, not ${upstream.host}`);
  }
  let live: LiveRule[] = rules.map((rule) => ({ rule, hits: 0 }));
  const requests: FaultRequest[] = [];

  const pick = (method: string, path: string): FaultRule | undefined => {
    for (const l of live) {
      const { rule } = l;
      if (rule.method && rule.method !== method) continue;
      const m = rule.match;
      const ok = m === undefined ? true : typeof m === 'string' ? path.includes(m) : m instanceof RegExp ? m.test(path) : m({ method, path });
      if (!ok) continue;
      if (rule.times !== undefined && l.hits >= rule.times) continue;
      l.hits++;
      return rule;
    }
    return undefined;
  };

  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = pick(method, path);
    const rec: FaultRequest = { method, path, status: 0, ...(rule ? { fault: rule.kind } : {}) };
    requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) rec.clientClosed = true;
    });

    const answer = (status: number, headers: OutgoingHttpHeaders, body: string): void => {
      rec.status = status;
      req.resume();
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers }).end(body);
    };
    if (rule?.kind === 'rateLimit') {
      const w = rule.window ?? 21600;
      return answer(429, {
        'content-type': 'application/json',
        'ratelimit-limit': `${rule.limit ?? 100};w=${w}`,
        'ratelimit-remaining': `0;w=${w}`,
        ...(rule.retryAfter === null ? {} : { 'retry-after': String(rule.retryAfter ?? 1) }),
      }, JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] }));
    }
    if (rule?.kind === 'unavailable') {
      return answer(503, {
        'content-type': 'text/plain',
        ...(rule.retryAfter === null || rule.retryAfter === undefined ? {} : { 'retry-after': String(rule.retryAfter) }),
      }, 'service unavailable\n');
    }
    if (rule?.kind === 'status') return answer(rule.status, rule.headers ?? {}, rule.body ?? '');
    if (rule?.kind === 'drop') {
      req.resume();
      return void req.socket.destroy();
    }
    if (rule?.kind === 'delay') return void setTimeout(forward, rule.ms);
    if (rule?.kind === 'hold') {
      const after = rule.then === 'drop' ? () => void req.socket.destroy() : forward;
      return void rule.until.then(after, after);
    }
    forward();

    function forward(): void {
      const up = httpRequest(
        { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
        (upRes) => relay(upRes),
      );
      up.on('error', (e) => {
        if (!res.headersSent) answer(502, { 'content-type': 'text/plain' }, `fault proxy: upstream error ${e.message}\n`);
        else res.destroy();
      });
      req.pipe(up);
    }

    function relay(upRes: IncomingMessage): void {
      rec.status = upRes.statusCode ?? 502;
      const headers: OutgoingHttpHeaders = { ...upRes.headers };
      if (rule?.kind === 'headers') for (const [k, v] of Object.entries(rule.set)) headers[k.toLowerCase()] = v;
      res.writeHead(rec.status, headers);
      if (rule?.kind === 'trickle') return trickle(upRes, rule.bytesPerTick, rule.tickMs);
      let seen = 0;
      upRes.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (rule?.kind === 'corrupt' && rule.atByte >= seen && rule.atByte < seen + chunk.length) {
          out = Buffer.from(chunk);
          out[rule.atByte - seen] = (out[rule.atByte - seen] ?? 0) ^ 0xff;
        }
        if (rule?.kind === 'truncate' && seen + chunk.length >= rule.afterBytes) {
          res.write(out.subarray(0, rule.afterBytes - seen), () => res.destroy());
          upRes.destroy();
          seen = rule.afterBytes;
          return;
        }
        seen += chunk.length;
        res.write(out);
      });
      upRes.on('end', () => res.end());
      upRes.on('error', () => res.destroy());
    }

    function trickle(upRes: IncomingMessage, n: number, ms: number): void {
      const parts: Buffer[] = [];
      let ended = false;
      upRes.on('data', (c: Buffer) => parts.push(c));
      upRes.on('end', () => (ended = true));
      const timer = setInterval(() => {
        let want = n;
        while (want > 0 && parts.length) {
          const c = parts[0]!;
          const take = c.subarray(0, want);
          res.write(take);
          want -= take.length;
          if (take.length === c.length) parts.shift();
          else parts[0] = c.subarray(take.length);
        }
        if (ended && !parts.length) {
          clearInterval(timer);
          res.end();
        }
      }, ms);
      res.on('close', () => {
        clearInterval(timer);
        upRes.destroy();
      });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    count: (p) => requests.filter((r) => r.path.split('?')[0] === p).length,
    setRules(next) {
      live = next.map((rule) => ({ rule, hits: 0 }));
    },
    reset() {
      requests.splice(0);
      for (const l of live) l.hits = 0;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
