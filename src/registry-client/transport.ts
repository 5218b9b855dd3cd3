import { readTextPrefix } from './bounded-body.ts';
import { DEFAULT_DEADLINES, guardBody, withHeaderDeadline, type Deadlines } from './deadlines.ts';
import { TabdockError } from '../shared/errors.ts';
import { proxiedUrl } from '../shared/proxied-url.ts';
import { basicAuth, parseChallenges, TokenCache, type Challenge, type CredentialLookup } from './auth.ts';
import { httpError, networkError, rateLimitFigures, type RegistryErrorContext } from './errors.ts';

/**
 * HTTP to one registry: scheme choice (HTTPS unless the host is an insecure registry),
 * the CORS-proxy rewrite, the auth dance, redirects and retries. Nothing else in
 * tabdock knows about any of these.
 */
export interface TransportOptions {
  fetch?: typeof fetch;
  /** CORS proxy base URL: requests go to `<proxy>/<host[:port]>/<path>` and the proxy picks the scheme. */
  proxy?: string;
  /** Hosts (`host[:port]`) or IPv4 CIDRs that speak plain HTTP, as Docker's `insecure-registries`. */
  insecureRegistries?: readonly string[];
  credentials?: CredentialLookup;
  /** How many times a request that may succeed later is tried again (network, 5xx, short 429). */
  retries?: number;
  /** A 429 whose Retry-After is longer than this is reported, not waited out. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  userAgent?: string;
  /** Header and body-progress deadlines (defaults: 30 s to headers; 16 KiB per 30 s of body). */
  deadlines?: Partial<Deadlines>;
}

export interface Endpoint {
  /** `host[:port]` the API answers on. */
  host: string;
  /** The registry name used for credentials and messages (`docker.io`). */
  registry: string;
  secure: boolean;
}

export interface RequestSpec {
  path: string;
  /** An absolute URL on the endpoint's host instead of `path` (an upload's Location). */
  url?: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  /** A request body; bytes, so an answered challenge, a redirect or a retry can send it again. */
  body?: Uint8Array;
  /** Repository for the token scope (`repository:<repo>:pull`). */
  repository: string;
  /** The token scope when pulling alone is not enough (a push: `repository:<repo>:pull,push`, a mount's source `:pull`). */
  scope?: string;
  /** Overrides `TransportOptions.retries` (an upload chunk is resumed by its caller, not sent again whole). */
  retries?: number;
  ctx: RegistryErrorContext;
  /** Cancels the request and its body (the pull's client went away). */
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;

export class Transport {
  readonly fetch: typeof fetch;
  private readonly tokens: TokenCache;
  private readonly challenges = new Map<string, Challenge>();
  private readonly sleep: (ms: number) => Promise<void>;
  readonly deadlines: Deadlines;

  constructor(readonly opts: TransportOptions = {}) {
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.deadlines = { ...DEFAULT_DEADLINES, ...opts.deadlines };
    this.tokens = new TokenCache(opts.now ?? Date.now);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  endpoint(host: string, registry = host): Endpoint {
    return { host, registry, secure: !isInsecure(host, this.opts.insecureRegistries ?? []) };
  }

  /** The URL actually fetched for an upstream URL: through the proxy when one is set. */
  wire(upstream: string): string {
    return this.opts.proxy ? proxiedUrl(this.opts.proxy, upstream) : upstream;
  }

  /**
   * Sends a request, answering auth challenges, following redirects (never carrying
   * `Authorization` to another host) and retrying where a retry can help. Returns a
   * successful response or throws a `TabdockError` with a sentence for the user.
   */
  async request(ep: Endpoint, spec: RequestSpec): Promise<Response> {
    const retries = spec.retries ?? this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(ep, spec);
      } catch (e) {
        if (!(e instanceof TabdockError) || !e.retryable || attempt >= retries || spec.signal?.aborted) throw e;
        const ra = (e.data['retryAfterSeconds'] as number | undefined) ?? undefined;
        if (e.code === 'RATE_LIMITED' && (ra === undefined || ra * 1000 > (this.opts.maxRetryAfterMs ?? 10_000))) throw e;
        const backoff = ra !== undefined ? ra * 1000 : 200 * 2 ** attempt * (0.75 + Math.random() / 2);
        await this.sleep(backoff);
      }
    }
  }

  private async once(ep: Endpoint, spec: RequestSpec): Promise<Response> {
    const scheme = ep.secure ? 'https' : 'http';
    let url = spec.url ?? `${scheme}://${ep.host}${spec.path}`;
    let auth = await this.authFor(ep, spec.repository, spec.scope);
    let answeredChallenge = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameHost = new URL(url).host === ep.host;
      const headers: Record<string, string> = { ...spec.headers };
      if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
      if (auth && sameHost) headers['authorization'] = auth;
      let res: Response;
      try {
        res = await withHeaderDeadline(this.deadlines.headersMs, spec.signal, spec.path, ep.registry, (signal) => this.fetch(this.wire(url), { method: spec.method ?? 'GET', headers, redirect: 'manual', signal, ...(spec.body ? { body: spec.body as NonNullable<RequestInit['body']> } : {}) }));
      } catch (e) {
        throw TabdockError.is(e) ? e : networkError(e, url, ep.registry);
      }
      if (res.status === 401 && sameHost && !answeredChallenge) {
        const header = res.headers.get('www-authenticate');
        await res.body?.cancel();
        const challenge = header ? parseChallenges(header)[0] : undefined;
        if (!challenge) throw httpError(401, res.headers, '', spec.ctx);
        // A token sent with the refused request is stale (expired or revoked early): a new one.
        auth = await this.answer(ep, challenge, spec.repository, true, auth?.startsWith('Bearer ') ? auth.slice(7) : undefined, spec.scope);
        if (!auth) throw httpError(401, res.headers, '', spec.ctx);
        // Kept for the host's next requests only once it was answered: a challenge whose
        // realm fails (one repository's, say) must not poison the others.
        this.challenges.set(ep.host, challenge);
        answeredChallenge = true;
        hop--;
        continue;
      }
      if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
        await res.body?.cancel();
        url = new URL(res.headers.get('location')!, url).toString();
        continue;
      }
      res = guardBody(res, this.deadlines, spec.signal, spec.path, ep.registry);
      if (!res.ok) {
        const text = await readTextPrefix(res);
        const err = httpError(res.status, res.headers, text, spec.ctx);
        if (res.status === 429) Object.assign(err.data, rateLimitFigures(res.headers));
        throw err;
      }
      return res;
    }
    throw new TabdockError('TOO_MANY_REDIRECTS', `${ep.registry} redirected more than ${MAX_REDIRECTS} times for ${spec.path}`, { registry: ep.registry });
  }

  /**
   * Credentials already known to be wanted by this host, before any 401. When the cached
   * challenge cannot be answered for this repository it is dropped, and the request goes
   * without: the registry's own 401 then says what this repository needs.
   */
  private async authFor(ep: Endpoint, repository: string, scope?: string): Promise<string | undefined> {
    const c = this.challenges.get(ep.host);
    if (!c) return undefined;
    try {
      return await this.answer(ep, c, repository, false, undefined, scope);
    } catch {
      if (this.challenges.get(ep.host) === c) this.challenges.delete(ep.host);
      return undefined;
    }
  }

  private async answer(ep: Endpoint, c: Challenge, repository: string, fresh: boolean, refused?: string, wanted?: string): Promise<string | undefined> {
    const creds = await this.opts.credentials?.(ep.registry);
    if (c.scheme === 'basic') return creds ? basicAuth(creds) : undefined;
    if (c.scheme !== 'bearer') return undefined;
    // No repository (a login's check of /v2/): a token for the service alone, as Docker asks.
    // A push names its own scope (push and pull, and a mount's source), as Docker asks for it.
    const scope = wanted ?? (fresh && c.params['scope'] ? c.params['scope'] : repository ? `repository:${repository}:pull` : '');
    const token = await this.tokens.get(c, scope, creds, (url, headers) => this.fetchToken(url, headers, ep), ep.registry, refused);
    return `Bearer ${token}`;
  }

  private async fetchToken(url: string, headers: Record<string, string>, ep: Endpoint): Promise<Response> {
    const u = new URL(url);
    // Token realms are HTTPS; a plain-HTTP realm is allowed only for a registry already
    // spoken to in plain HTTP, or a realm host that is itself an insecure registry.
    // Through the proxy the proxy decides the scheme, by its own insecure list.
    if (u.protocol === 'http:' && !this.opts.proxy && ep.secure && !isInsecure(u.host, this.opts.insecureRegistries ?? [])) {
      throw new TabdockError('INSECURE_REALM', `${ep.registry} sent a plain-HTTP token realm (${u.host}) that is not an insecure registry; refusing to send credentials there`, { realm: url });
    }
    try {
      const res = await withHeaderDeadline(this.deadlines.headersMs, undefined, 'a token request', u.host, (signal) => this.fetch(this.wire(url), { headers, redirect: 'follow', signal }));
      return guardBody(res, this.deadlines, undefined, 'a token', u.host);
    } catch (e) {
      throw TabdockError.is(e) ? e : networkError(e, url, u.host);
    }
  }
}

/** Docker's `insecure-registries`: exact `host[:port]`, a bare host for any port, or an IPv4 CIDR. */
export function isInsecure(host: string, list: readonly string[]): boolean {
  const bare = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  for (const entry of list) {
    const e = entry.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!e) continue;
    if (e === host || e === bare) return true;
    const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(e);
    if (cidr && inCidr(bare, cidr[1]!, Number(cidr[2]))) return true;
  }
  return false;
}

function ipv4(s: string): number | undefined {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return p.reduce((a, x) => a * 256 + Number(x), 0);
}

function inCidr(ip: string, base: string, bits: number): boolean {
  const a = ipv4(ip);
  const b = ipv4(base);
  if (a === undefined || b === undefined || bits < 0 || bits > 32) return false;
  const div = 2 ** (32 - bits);
  return Math.floor(a / div) === Math.floor(b / div);
}
