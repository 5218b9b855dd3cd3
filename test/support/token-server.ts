// A small Docker token server (https://distribution.github.io/distribution/spec/auth/token/)
// for the registry's `auth.token` mode. It signs RS256 JWTs with a key and self-signed
// certificate made for this run; the JWT header carries the certificate in `x5c`, which
// distribution 2.8 verifies against `rootcertbundle`.
import { createPrivateKey, createSign, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { run } from './proc.ts';

export interface TokenRequest {
  method: string;
  service: string | null;
  /** Raw `scope` parameters, one per occurrence. */
  scopes: string[];
  /** User name from Basic credentials, or null when anonymous. */
  user: string | null;
  /** HTTP status the server answered. */
  status: number;
  /** What the token grants, as `type:name:actions`. */
  granted: string[];
  /** The issued token, when one was issued. */
  token?: string;
}

export interface TokenServerOptions {
  /** Accepted Basic credentials (user -> password). Users get every action they ask for. */
  users?: Record<string, string>;
  /** Repositories anonymous clients get no access to (so 401/403 paths can be tested). */
  privateRepos?: string[];
  /** `expires_in` of issued tokens, seconds (default 300). */
  expiresIn?: number;
}

export interface TestTokenServer {
  readonly url: string;
  /** `auth.token.realm` */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file with the signing certificate (`auth.token.rootcertbundle`). */
  readonly certFile: string;
  /** Every request received, in order. */
  readonly requests: TokenRequest[];
  /** Mutable at run time: repositories anonymous clients may not touch. */
  readonly privateRepos: Set<string>;
  /** Forget recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startTokenServer(dir: string, opts: TokenServerOptions = {}): Promise<TestTokenServer> {
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', '/CN=tabdock-test-token-issuer',
  ]);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = pemToDer(readFileSync(certFile, 'utf8'));
  const service = 'tabdock-test-registry';
  const issuer = 'tabdock-test-issuer';
  const users = opts.users ?? {};
  const privateRepos = new Set(opts.privateRepos ?? []);
  const requests: TokenRequest[] = [];
  const expiresIn = opts.expiresIn ?? 300;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let params = url.searchParams;
    if (req.method === 'POST') {
      // OAuth2 form (grant_type=password / refresh_token), as some clients send.
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      params = new URLSearchParams(Buffer.concat(chunks).toString());
    }
    const rec: TokenRequest = {
      method: req.method ?? 'GET',
      service: params.get('service'),
      scopes: params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean),
      user: null,
      status: 200,
      granted: [],
    };
    requests.push(rec);
    if (url.pathname !== '/token') return answer(res, rec, 404, { errors: [{ code: 'NOT_FOUND' }] });

    let user: string | null = null;
    let password: string | null = null;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const raw = Buffer.from(authz.slice(6), 'base64').toString();
      const i = raw.indexOf(':');
      user = raw.slice(0, i);
      password = raw.slice(i + 1);
    } else if (params.get('grant_type') === 'password') {
      user = params.get('username');
      password = params.get('password');
    }
    if (user !== null && users[user] !== password) {
      rec.user = user;
      return answer(res, rec, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] });
    }
    rec.user = user;

    const access = rec.scopes.flatMap((scope) => grant(scope, user));
    rec.granted = access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 30,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const token = sign(key, certDer, claims);
    rec.token = token;
    return answer(res, rec, 200, {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    });
  }

  function grant(scope: string, user: string | null): { type: string; name: string; actions: string[] }[] {
    // scope = type:name:actions; the name may itself contain ':' (host:port/...).
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first < 0 || last === first) return [];
    const type = scope.slice(0, first);
    const name = scope.slice(first + 1, last);
    const wanted = scope.slice(last + 1).split(',').filter(Boolean);
    let actions: string[];
    if (user !== null) actions = wanted;
    else if (type === 'repository' && !privateRepos.has(name)) actions = wanted.filter((a) => a === 'pull');
    else actions = [];
    return actions.length ? [{ type, name, actions }] : [];
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    service,
    issuer,
    certFile,
    requests,
    privateRepos,
    reset: () => void requests.splice(0),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function answer(res: ServerResponse, rec: TokenRequest, status: number, body: unknown): void {
  rec.status = status;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sign(key: KeyObject, certDer: Buffer, claims: object): string {
  const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign('RSA-SHA256').update(input).sign(key);
  return `${input}.${b64url(sig)}`;
}

function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}
