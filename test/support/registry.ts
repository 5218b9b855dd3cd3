// A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on
// 127.0.0.1, filesystem storage in a fresh temp dir, optionally behind token or htpasswd
// auth and with CDN-style blob redirects. Images get in with `skopeo copy`.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCdn, type TestCdn } from './cdn.ts';
import { fixtureLayout, type FixtureName } from './fixtures.ts';
import { freePort, makeTempDir, removeTempDir, run, sleep, startDaemon, type Daemon } from './proc.ts';
import { startTokenServer, type TestTokenServer } from './token-server.ts';

export interface RegistryOptions {
  /** 'none' (default), 'token' (Bearer via a TestTokenServer) or 'basic' (htpasswd). */
  auth?: 'none' | 'token' | 'basic';
  /** Credentials (user -> password) for 'token' and 'basic'. Default `{ tester: 'secret' }`. */
  users?: Record<string, string>;
  /** 'token' only: repositories anonymous clients get no scope on. */
  privateRepos?: string[];
  /** 'token' only: `expires_in` of tokens, seconds. */
  tokenExpiresIn?: number;
  /** Blob GETs answer 307 to a TestCdn serving the storage dir. */
  redirect?: boolean;
}

export interface PushOptions {
  /** `skopeo copy --all`: push every manifest of an index. */
  all?: boolean;
  /** Destination manifest format; 'v2s2' gives Docker media types. Default: as built (OCI). */
  format?: 'oci' | 'v2s2';
  /**
   * Push the fixture's zstd variant (`fixtureInfo(name, { zstd: true })` has its facts).
   * For a raw `oci:` ref, skopeo recompresses while pushing (it may reuse gzip blobs the
   * registry already has, so prefer fixtures).
   */
  zstd?: boolean;
  /** Push the fixture's uncompressed variant (plain `tar` layers). */
  uncompressed?: boolean;
}

export interface PushResult {
  /** Digest of the manifest (or index) the tag now points at, as skopeo reports it. */
  digest: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` — the reference prefix (`127.0.0.1:PORT/repo:tag`). */
  readonly host: string;
  readonly url: string;
  readonly storageDir: string;
  /** Credentials pushes use (first of `users`) when auth is on. */
  readonly credentials?: { user: string; password: string };
  readonly tokenServer?: TestTokenServer;
  readonly cdn?: TestCdn;
  /** Path of a blob's data file in the storage (to tamper with or delete it). */
  blobPath(digest: string): string;
  /**
   * Pushes a fixture (or any skopeo source ref, e.g. `oci:/path:tag`) to `repo:tag`.
   * Without `format`, digests are preserved: the registry holds exactly what
   * `fixtureInfo` describes. `format: 'v2s2'` converts manifests (config and layer blobs
   * stay the same); use 'multi-noattest' for a v2s2 manifest list, as Docker's schema 2
   * cannot carry the in-toto attestation layer.
   */
  push(fixture: FixtureName | string, dest: string, opts?: PushOptions): Promise<PushResult>;
  /** The registry's recent log output (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

const DEFAULT_USERS = { tester: 'secret' };

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? DEFAULT_USERS;
  const dir = makeTempDir('registry');
  const storageDir = join(dir, 'storage');
  let tokenServer: TestTokenServer | undefined;
  let cdn: TestCdn | undefined;
  let daemon: Daemon | undefined;
  try {
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      health: { storagedriver: { enabled: false } },
    };
    if (auth === 'token') {
      tokenServer = await startTokenServer(dir, {
        users,
        ...(opts.privateRepos ? { privateRepos: opts.privateRepos } : {}),
        ...(opts.tokenExpiresIn !== undefined ? { expiresIn: opts.tokenExpiresIn } : {}),
      });
      config.auth = {
        token: {
          realm: tokenServer.realm,
          service: tokenServer.service,
          issuer: tokenServer.issuer,
          rootcertbundle: tokenServer.certFile,
        },
      };
    } else if (auth === 'basic') {
      const htpasswd = join(dir, 'htpasswd');
      writeFileSync(htpasswd, (await Promise.all(Object.entries(users).map(async ([u, p]) => `${u}:${await bcrypt(p)}\n`))).join(''));
      config.auth = { htpasswd: { realm: 'tabdock-test', path: htpasswd } };
    }
    if (opts.redirect) {
      cdn = await startCdn(storageDir);
      config.middleware = { storage: [{ name: 'redirect', options: { baseurl: cdn.url } }] };
    }

    // The port may be taken between freePort() and the registry's bind: retry a few times.
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      config.http = { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex'), draintimeout: '0s' };
      const configFile = join(dir, 'config.yml');
      // YAML is a superset of JSON, so the config is written as JSON.
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      daemon = startDaemon('docker-registry', ['serve', configFile], { cleanupDir: dir });
      if (await waitForHttp(`http://127.0.0.1:${port}/v2/`, daemon)) break;
      const log = daemon.output();
      if (attempt >= 3 || !/address already in use/.test(log)) {
        throw new Error(`docker-registry did not start:\n${log}`);
      }
      // It exited on its own (port taken); keep the dir (certs, htpasswd) for the retry.
      await daemon.abandon();
      daemon = undefined;
    }

    const host = `127.0.0.1:${port}`;
    const first = Object.entries(users)[0];
    const credentials = auth !== 'none' && first ? { user: first[0], password: first[1] } : undefined;
    const running = daemon;
    return {
      host,
      url: `http://${host}`,
      storageDir,
      ...(credentials ? { credentials } : {}),
      ...(tokenServer ? { tokenServer } : {}),
      ...(cdn ? { cdn } : {}),
      blobPath(digest) {
        const m = /^(sha256|sha512):([0-9a-f]{64,128})$/.exec(digest);
        if (!m) throw new Error(`not a digest: ${digest}`);
        return join(storageDir, 'docker/registry/v2/blobs', m[1]!, m[2]!.slice(0, 2), m[2]!, 'data');
      },
      async push(fixture, dest, pushOpts = {}) {
        if (pushOpts.zstd && pushOpts.format === 'v2s2') throw new Error('Docker v2s2 has no zstd layers');
        const raw = fixture.includes(':');
        const src = raw ? fixture : await fixtureLayout(fixture as FixtureName, {
              zstd: pushOpts.zstd === true,
              uncompressed: pushOpts.uncompressed === true,
            });
        const digestFile = join(dir, `digest-${randomBytes(6).toString('hex')}`);
        // --insecure-policy: no dependence on the machine's /etc/containers/policy.json.
        const args = ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile];
        if (credentials) args.push('--dest-creds', `${credentials.user}:${credentials.password}`);
        if (pushOpts.all) args.push('--all');
        if (pushOpts.format) args.push('--format', pushOpts.format);
        else if (!(raw && pushOpts.zstd)) args.push('--preserve-digests');
        if (raw && pushOpts.zstd) args.push('--dest-compress', '--dest-compress-format', 'zstd');
        args.push(src, `docker://${host}/${dest}`);
        await run('skopeo', args);
        return { digest: readFileSync(digestFile, 'utf8').trim() };
      },
      log: () => running.output(),
      async stop() {
        await running.stop();
        await tokenServer?.stop();
        await cdn?.stop();
        removeTempDir(dir);
      },
    };
  } catch (e) {
    await daemon?.stop();
    await tokenServer?.stop();
    await cdn?.stop();
    removeTempDir(dir);
    throw e;
  }
}

/** Polls until `url` answers at all (any status): the registry is serving. */
// Generous: a registry starting on a loaded 2-core machine; an exit ends the wait at once.
async function waitForHttp(url: string, daemon: Daemon, timeoutMs = 60_000): Promise<boolean> {
  let exited = false;
  void daemon.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return true;
    } catch {
      await sleep(50);
    }
  }
  return false;
}

/** bcrypt for htpasswd via libcrypt (`perl`'s crypt; perl-base is essential on Debian). */
async function bcrypt(password: string): Promise<string> {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const salt = [...randomBytes(22)].map((b) => alphabet[b % 64]).join('');
  // Last salt char must carry only 2 significant bits in bcrypt's encoding.
  const fixedSalt = salt.slice(0, 21) + '.Oeu'[randomBytes(1)[0]! % 4];
  const hash = (await run('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${fixedSalt}`])).trim();
  if (!hash.startsWith('$2b$05$') || hash.length !== 60) throw new Error(`libcrypt gave no bcrypt hash: ${hash}`);
  return hash;
}
