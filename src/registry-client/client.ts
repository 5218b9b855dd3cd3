import { LIMITS, readBounded } from './bounded-body.ts';
import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';
import { parseImageConfig, parseWasmArtifactConfig, type ImageConfig } from './image-config.ts';
import { parseManifest, selectPlatform, noMatchingPlatform, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.ts';
import { isWasmConfig, isWasmLayer, layerKind, MANIFEST_ACCEPT } from './media-types.ts';
import { DEFAULT_PLATFORM, formatPlatform, isWasiPlatform, normalizePlatform, platformMatches, type Platform } from './platform.ts';
import { DOCKER_HUB, DOCKER_HUB_API, type Reference } from './reference.ts';
import { resumableBlob, type BlobProgress } from './blob-stream.ts';
import { Transport, type Endpoint, type TransportOptions } from './transport.ts';
import { Pusher } from './push.ts';
import { digestMismatch, sha256, type HasherFactory } from './verify.ts';

export interface RegistryClientOptions extends TransportOptions {
  /** Docker's `registry-mirrors`: base URLs tried, in order, before Docker Hub itself. */
  mirrors?: readonly string[];
  /** The sha256 used to verify what arrives (default hash-wasm; Node passes OpenSSL's). */
  hasher?: HasherFactory;
}

export interface ResolvedManifest extends ImageManifest {
  digest: Digest;
  bytes: Uint8Array;
}

export interface ResolvedImage {
  reference: Reference;
  /** What the reference points at (the index when there is one): Docker's RepoDigest. */
  digest: Digest;
  index?: { digest: Digest; mediaType: string; bytes: Uint8Array };
  manifest: ResolvedManifest;
  platform: Platform;
  /** The platform the caller asked for (`--platform`); undefined: the default was used. */
  requested?: Platform;
  /** Platforms the caller also runs, best first, taken when there is no default one and none was asked for. */
  fallback?: readonly Platform[];
  /** The endpoint that answered (a mirror or the registry itself). */
  endpoint: Endpoint;
}

export interface OpenBlobOptions {
  onProgress?: BlobProgress;
  /** Ends the download: no retry, no new connection (the pull's client went away). */
  signal?: AbortSignal;
}

/** Manifests larger than this are refused (the distribution spec's 4 MiB guidance). */

/**
 * A registry client in go-containerregistry's spirit: `resolve` returns a handle with
 * the verified manifest; bytes of config and layers come only when opened, verified.
 */
export class RegistryClient {
  readonly transport: Transport;
  /** The sha256 in use, for others that verify what this client fetched (diff IDs). */
  get hasher(): HasherFactory | undefined {
    return this.opts.hasher;
  }

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts);
  }

  /**
   * `docker login`'s check: GET /v2/ with the credentials this client was given (the token
   * flow with no repository scope, or Basic). Resolves when the registry accepts them.
   */
  async checkCredentials(registry: string): Promise<void> {
    const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
    const res = await this.transport.request(this.transport.endpoint(host, registry), {
      path: '/v2/',
      repository: '',
      ctx: { registry },
    });
    await res.body?.cancel();
  }

  /** Uploads to the reference's repository (push.ts): blobs, mounts, the manifest. */
  pusher(ref: Reference): Pusher {
    return new Pusher(this.transport, ref, this.opts.hasher);
  }

  /** Where to ask for a reference: the mirrors first for Docker Hub, then the registry. */
  endpoints(ref: Reference): Endpoint[] {
    const own = this.transport.endpoint(ref.apiHost, ref.registry);
    if (ref.registry !== DOCKER_HUB || !this.opts.mirrors?.length) return [own];
    const mirrors = this.opts.mirrors.map((m) => {
      const u = new URL(/^https?:\/\//.test(m) ? m : `https://${m}`);
      return { host: u.host, registry: ref.registry, secure: u.protocol === 'https:' } satisfies Endpoint;
    });
    return [...mirrors, own];
  }

  /** Resolves a reference to one platform's manifest, every byte digest-checked. */
  async resolve(ref: Reference, opts: { platform?: Platform; fallback?: readonly Platform[]; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const eps = this.endpoints(ref);
    let last: unknown;
    for (const [i, ep] of eps.entries()) {
      try {
        return await this.resolveAt(ep, ref, opts.platform, opts.signal, opts.platform ? [] : (opts.fallback ?? []));
      } catch (e) {
        last = e;
        // A mirror that fails is skipped, as Docker does; the registry's own answer is final.
        const isMirror = i < eps.length - 1;
        if (!isMirror || opts.signal?.aborted || (TabdockError.is(e) && (e.code === 'NO_MATCHING_PLATFORM' || e.code === 'DIGEST_MISMATCH'))) throw e;
      }
    }
    throw last;
  }

  private async resolveAt(ep: Endpoint, ref: Reference, wanted: Platform | undefined, signal: AbortSignal | undefined, fallback: readonly Platform[]): Promise<ResolvedImage> {
    const platform = normalizePlatform(wanted ?? DEFAULT_PLATFORM);
    const requested = wanted ? { requested: platform } : fallback.length ? { fallback } : {};
    const what = ref.familiar();
    const top = await this.getManifest(ep, ref, ref.manifestRef, what, signal);
    if (top.parsed.kind === 'manifest') {
      return { reference: ref, digest: top.digest, manifest: { ...top.parsed, digest: top.digest, bytes: top.bytes }, platform, ...requested, endpoint: ep };
    }
    const index: ImageIndex = top.parsed;
    let chosen = selectPlatform(index, platform, what, !wanted, fallback);
    let child = await this.getManifest(ep, ref, chosen.digest.toString(), what, signal, chosen);
    // An index may point at another index (rare, but valid OCI): one more level.
    if (child.parsed.kind === 'index') {
      chosen = selectPlatform(child.parsed, platform, what, !wanted, fallback);
      child = await this.getManifest(ep, ref, chosen.digest.toString(), what, signal, chosen);
    }
    if (child.parsed.kind !== 'manifest') throw new TabdockError('MANIFEST_INVALID', `the index of ${what} nests too deeply`, { what });
    return {
      reference: ref,
      digest: top.digest,
      index: { digest: top.digest, mediaType: index.mediaType, bytes: top.bytes },
      manifest: { ...child.parsed, digest: child.digest, bytes: child.bytes },
      platform: normalizePlatform(chosen.platform ?? platform),
      ...requested,
      endpoint: ep,
    };
  }

  private async getManifest(ep: Endpoint, ref: Reference, manifestRef: string, what: string, signal: AbortSignal | undefined, desc?: Descriptor) {
    const res = await this.transport.request(ep, {
      ...(signal ? { signal } : {}),
      path: `/v2/${ref.repository}/manifests/${manifestRef}`,
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      repository: ref.repository,
      ctx: { registry: ref.registry, repository: ref.familiarName, what },
    });
    const bytes = await readBounded(res, LIMITS.manifest, `the manifest of ${what}`, 'MANIFEST_TOO_LARGE');
    const digest = await sha256(bytes, this.opts.hasher);
    // Pinned by digest: the bytes must hash to it. Otherwise trust the registry's header
    // only if the bytes agree with it (OCI distribution spec, "Pulling manifests").
    const expected = Digest.tryParse(manifestRef) ?? desc?.digest;
    if (expected && !expected.equals(digest)) throw digestMismatch(`the manifest of ${what}`, expected, digest);
    const header = Digest.tryParse(res.headers.get('docker-content-digest') ?? '');
    if (header && header.algorithm === 'sha256' && !header.equals(digest)) throw digestMismatch(`the manifest of ${what} (Docker-Content-Digest)`, header, digest);
    if (desc && desc.size !== bytes.byteLength) {
      throw new TabdockError('SIZE_MISMATCH', `the manifest of ${what}: expected ${desc.size} bytes, received ${bytes.byteLength}`, {});
    }
    return { bytes, digest, parsed: parseManifest(bytes, res.headers.get('content-type'), what) };
  }

  /**
   * Fetches and parses the image config, checking it is the platform that was asked for,
   * and returns the image's platform (for a single manifest: what its config says). A
   * single-manifest WASI image is taken without --platform: tabdock runs it without the
   * guest. WebAssembly artifacts (a wasm config media type, or raw wasm layers under a
   * config that is not an image config) get an image config made from what they have.
   */
  async fetchConfig(img: ResolvedImage, opts: { signal?: AbortSignal } = {}): Promise<{ bytes: Uint8Array; config: ImageConfig & { diffIds: Digest[] }; platform: Platform }> {
    const what = img.reference.familiar();
    const m = img.manifest;
    // The manifest says how big the config is, and the verified stream holds it to that;
    // a manifest that claims a huge one is refused before a byte is fetched.
    if (m.config.size > LIMITS.config) {
      throw new TabdockError('CONFIG_TOO_LARGE', `the config of ${what} is ${Math.round(m.config.size / 1048576)} MiB by its manifest: more than the ${LIMITS.config / 1048576} MiB tabdock accepts for an image config; refusing it`, { size: m.config.size, limit: LIMITS.config });
    }
    const bytes = new Uint8Array(await new Response(this.openBlob(img, m.config, opts.signal ? { signal: opts.signal } : {})).arrayBuffer());
    const artifact = isWasmConfig(m.config.mediaType) || (m.layers.some((l) => isWasmLayer(l.mediaType)) && !looksLikeImageConfig(bytes));
    const config = artifact ? parseWasmArtifactConfig(bytes, m.layers.map((l) => l.digest), what) : parseImageConfig(bytes, what);
    const actual = normalizePlatform({ os: config.os, architecture: config.architecture, variant: config.variant });
    // A single manifest is its config's platform: taken when it is the one asked for, a
    // WASI module without --platform, or (without --platform) one the caller also runs.
    const alsoRuns = !img.requested && (img.fallback ?? []).some((f) => platformMatches(f, actual));
    if (!img.index && !platformMatches(img.platform, actual) && !alsoRuns && (img.requested || !isWasiPlatform(actual))) {
      throw noMatchingPlatform(img.platform, [formatPlatform(actual)], what, img.fallback);
    }
    if (config.diffIds.length !== m.layers.length) {
      throw new TabdockError('CONFIG_INVALID', `${what}: its config lists ${config.diffIds.length} layers but its manifest ${m.layers.length}`, { what });
    }
    return { bytes, config, platform: img.index ? img.platform : actual };
  }

  /**
   * Opens a blob as a verified stream. Foreign (non-distributable) layers are tried at
   * their `urls` first. Read to the end before trusting anything it gave.
   */
  openBlob(img: ResolvedImage, desc: Descriptor, opts: OpenBlobOptions = {}): ReadableStream<Uint8Array> {
    const ref = img.reference;
    const what = `${ref.familiar()} blob ${desc.digest.short}`;
    const ep = img.endpoint;
    const urls = layerKind(desc.mediaType)?.foreign ? (desc.urls ?? []).filter((u) => /^https?:\/\//.test(u)) : [];
    let urlIndex = 0;
    return resumableBlob(desc, what, async (offset) => {
      const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      while (urlIndex < urls.length && offset === 0) {
        const url = urls[urlIndex++]!;
        try {
          const res = await this.transport.fetch(this.transport.wire(url), { headers, ...(opts.signal ? { signal: opts.signal } : {}) });
          if (res.ok) return res;
          await res.body?.cancel();
        } catch {
          // Fall through to the next URL, then to the registry.
        }
      }
      return this.transport.request(ep, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        path: `/v2/${ref.repository}/blobs/${desc.digest}`,
        headers,
        repository: ref.repository,
        ctx: { registry: ref.registry, repository: ref.familiarName, what: ref.familiar() },
      });
    }, { ...opts, ...(this.opts.retries !== undefined ? { retries: this.opts.retries } : {}), ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}), ...(this.opts.hasher ? { hasher: this.opts.hasher } : {}) });
  }
}

/** Whether config bytes are an image config (os, architecture, rootfs), not an artifact's. */
function looksLikeImageConfig(bytes: Uint8Array): boolean {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> | null;
    return !!j && typeof j['os'] === 'string' && typeof j['architecture'] === 'string' && typeof j['rootfs'] === 'object';
  } catch {
    return false;
  }
}
