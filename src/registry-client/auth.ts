import { LIMITS, readBounded, readTextPrefix } from './bounded-body.ts';
import { TabdockError } from '../shared/errors.ts';

/**
 * Registry authentication: the Bearer token flow of Docker's token auth specification
 * (challenge in `WWW-Authenticate`, GET realm?service=&scope=, `token` or
 * `access_token`, `expires_in` defaulting to 60 s) and Basic for private registries.
 */
export interface Credentials {
  username: string;
  password: string;
}

/** Looks up credentials for a registry host (as written in references, e.g. `docker.io`). */
export type CredentialLookup = (registry: string) => Credentials | undefined | Promise<Credentials | undefined>;

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="a,b"` (quoted values may hold commas). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][\w-]*)(?:\s+|$)|\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gy;
  let cur: Challenge | undefined;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    if (m[1] !== undefined && m[2] === undefined) {
      cur = { scheme: m[1].toLowerCase(), params: {} };
      out.push(cur);
    } else if (m[2] !== undefined && cur) {
      cur.params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
    }
    if (m[0] === '') break;
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenFetch {
  (url: string, headers: Record<string, string>): Promise<Response>;
}

/** Tokens cached per realm, service, scope and user, reused until shortly before expiry. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `refused`: a token the registry just answered 401 to; it is not handed out again. */
  async get(challenge: Challenge, scope: string, creds: Credentials | undefined, fetchToken: TokenFetch, registry: string, refused?: string): Promise<string> {
    const realm = challenge.params['realm'];
    if (!realm) throw new TabdockError('AUTH_CHALLENGE_INVALID', `${registry} asked for a Bearer token but named no realm`, { registry });
    const service = challenge.params['service'];
    const key = JSON.stringify([realm, service, scope, creds?.username ?? '']);
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt > this.now() && hit.token !== refused) return hit.token;
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = this.fetch(realm, service, scope, creds, fetchToken, registry).then(
      (t) => {
        this.tokens.set(key, t);
        this.pending.delete(key);
        return t.token;
      },
      (e: unknown) => {
        this.pending.delete(key);
        throw e;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  private async fetch(realm: string, service: string | undefined, scope: string, creds: Credentials | undefined, fetchToken: TokenFetch, registry: string): Promise<CachedToken> {
    const u = new URL(realm);
    if (service) u.searchParams.set('service', service);
    for (const s of scope.split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (creds) headers['authorization'] = basicAuth(creds);
    const started = this.now();
    const res = await fetchToken(u.toString(), headers);
    if (!res.ok) await readTextPrefix(res); // the reason is the status; the body is not needed
    const text = res.ok ? new TextDecoder().decode(await readBounded(res, LIMITS.token, `${registry}'s token response`, 'AUTH_FAILED')) : '';
    if (!res.ok) {
      const code = res.status === 401 ? 'UNAUTHORIZED' : res.status === 429 ? 'RATE_LIMITED' : 'AUTH_FAILED';
      const why = creds ? `the credentials for ${registry} were refused` : `${registry}'s token service refused an anonymous token`;
      throw new TabdockError(code, `${why} (HTTP ${res.status} from ${u.host})`, { registry, status: res.status }, { retryable: res.status >= 500 || res.status === 429 });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new TabdockError('AUTH_FAILED', `${registry}'s token service answered something that is not JSON`, { registry });
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new TabdockError('AUTH_FAILED', `${registry}'s token service answered without a token`, { registry });
    // The spec's minimum lifetime is 60 s; renew 10 s early to avoid racing the expiry.
    const lifetime = Math.max(60, body.expires_in ?? 60);
    return { token, expiresAt: started + (lifetime - 10) * 1000 };
  }
}

export function basicAuth(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}
