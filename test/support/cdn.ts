// A CDN stand-in behind the registry's `redirect` storage middleware: the registry answers
// blob GETs with 307 to `<cdn>/<storage path>`, and this server serves that file from the
// registry's storage dir. Like a real pre-signed-URL CDN, it refuses (400) any request that
// carries `Authorization` — a client that forwards registry credentials to another host
// fails here, and `authorizationSeen` lets tests assert it never happened.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';

export interface CdnRequest {
  method: string;
  path: string;
  status: number;
  authorization: boolean;
}

export interface TestCdn {
  readonly url: string;
  readonly requests: CdnRequest[];
  /** True once any request carried an `Authorization` header. */
  readonly authorizationSeen: boolean;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCdn(rootDir: string): Promise<TestCdn> {
  const requests: CdnRequest[] = [];
  let authorizationSeen = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: CdnRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 200,
      authorization: req.headers.authorization !== undefined,
    };
    requests.push(rec);
    const fail = (status: number, msg: string): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(msg);
    };
    if (rec.authorization) {
      authorizationSeen = true;
      return fail(400, 'Only one auth mechanism allowed; Authorization header must not be sent to the CDN');
    }
    if (rec.method !== 'GET' && rec.method !== 'HEAD') return fail(405, 'method not allowed');
    const rel = normalize(decodeURIComponent(url.pathname));
    if (rel.includes('..')) return fail(400, 'bad path');
    const file = join(rootDir, rel);
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return fail(404, 'not found');
      size = st.size;
    } catch {
      return fail(404, 'not found');
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    if (rec.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get authorizationSeen() {
      return authorizationSeen;
    },
    reset() {
      requests.splice(0);
      authorizationSeen = false;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
