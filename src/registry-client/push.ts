import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';
import type { Reference } from './reference.ts';
import { DOCKER_HUB, DOCKER_HUB_API } from './reference.ts';
import type { Endpoint, Transport } from './transport.ts';
import { digestMismatch, sha256, sha256Hasher, type HasherFactory } from './verify.ts';

/** A blob to upload: its digest and size, and its bytes when asked for (from the start, each time). */
export interface PushBlob {
  digest: Digest;
  size: number;
  open(): Promise<ReadableStream<Uint8Array>>;
  /** All its bytes at once, where the source has a faster way than the stream (a file store's one read); for one-PUT uploads. */
  read?(): Promise<Uint8Array>;
}

export interface BlobPushOptions {
  /**
   * Blobs larger than this go up in PATCH chunks of this size (OCI distribution spec,
   * "Pushing a blob in chunks"), each resumed from what the registry says it has when one
   * fails; smaller ones in one PUT after the POST ("monolithic"). Default 64 MiB (memory holds one chunk).
   */
  chunkSize?: number;
  /** Repositories of the same registry that hold the blob: tried as a cross-repository mount first. */
  mountFrom?: readonly string[];
  /** Bytes the registry has accepted so far. */
  onProgress?: (done: number, total: number) => void;
  /** How many times a failed chunk is resumed (default 3). */
  resumes?: number;
}

export type BlobPushResult = { status: 'exists' } | { status: 'mounted'; from: string } | { status: 'pushed' };

export const DEFAULT_CHUNK_SIZE = 64 << 20;

/**
 * Uploads to one repository (OCI distribution spec, "Push"): HEAD to skip a blob the
 * registry has, a cross-repository mount (`POST ?mount=&from=`) when a source repository
 * is known, else an upload session (POST) finished by one PUT or by PATCH chunks and a
 * PUT; then the manifest. Credentials and tokens are the transport's (scope
 * `repository:<repo>:pull,push`, and `:pull` on a mount's source).
 */
export class Pusher {
  private readonly ep: Endpoint;

  constructor(private readonly transport: Transport, readonly ref: Reference, private readonly hasher?: HasherFactory) {
    const host = ref.registry === DOCKER_HUB ? DOCKER_HUB_API : ref.apiHost;
    this.ep = transport.endpoint(host, ref.registry);
  }

  private scope(from?: string): string {
    return `repository:${this.ref.repository}:pull,push${from ? ` repository:${from}:pull` : ''}`;
  }

  private request(spec: { path?: string; url?: string; method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH'; headers?: Record<string, string>; body?: Uint8Array; from?: string; retries?: number }) {
    return this.transport.request(this.ep, {
      path: spec.path ?? '',
      ...(spec.url ? { url: spec.url } : {}),
      method: spec.method,
      ...(spec.headers ? { headers: spec.headers } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.retries !== undefined ? { retries: spec.retries } : {}),
      repository: this.ref.repository,
      scope: this.scope(spec.from),
      ctx: { registry: this.ref.registry, repository: this.ref.familiarName },
    });
  }

  /** Whether the repository has the blob (HEAD; 404 is no). */
  async hasBlob(digest: Digest): Promise<boolean> {
    try {
      const res = await this.request({ path: `/v2/${this.ref.repository}/blobs/${digest}`, method: 'HEAD' });
      await res.body?.cancel();
      return true;
    } catch (e) {
      if (TabdockError.is(e) && e.data['status'] === 404) return false;
      throw e;
    }
  }

  async pushBlob(blob: PushBlob, opts: BlobPushOptions = {}): Promise<BlobPushResult> {
    if (await this.hasBlob(blob.digest)) return { status: 'exists' };
    let location: string | undefined;
    for (const from of opts.mountFrom ?? []) {
      if (from === this.ref.repository) continue;
      const q = new URLSearchParams({ mount: blob.digest.toString(), from });
      const res = await this.request({ path: `/v2/${this.ref.repository}/blobs/uploads/?${q}`, method: 'POST', from });
      await res.body?.cancel();
      // 201: mounted. 202: the registry would not mount (no access to the source, or no such blob there) and opened an upload instead.
      if (res.status === 201) return { status: 'mounted', from };
      location = this.location(res);
      break;
    }
    if (!location) {
      const res = await this.request({ path: `/v2/${this.ref.repository}/blobs/uploads/`, method: 'POST' });
      await res.body?.cancel();
      location = this.location(res);
    }
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (blob.size <= chunkSize) {
      const bytes = blob.read ? await blob.read() : new Uint8Array(await new Response(await blob.open()).arrayBuffer());
      await this.checkWhole(blob, bytes);
      const res = await this.request({ url: withDigest(location, blob.digest), method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      await res.body?.cancel();
      opts.onProgress?.(blob.size, blob.size);
      return { status: 'pushed' };
    }
    location = await this.chunked(blob, location, chunkSize, opts);
    const res = await this.request({ url: withDigest(location, blob.digest), method: 'PUT', headers: { 'content-length': '0' } });
    await res.body?.cancel();
    return { status: 'pushed' };
  }

  /** PATCH chunks in order; a chunk that fails is resumed from the offset the registry reports (GET on the upload). */
  private async chunked(blob: PushBlob, location: string, chunkSize: number, opts: BlobPushOptions): Promise<string> {
    const reader = (await blob.open()).getReader();
    const hash = await (this.hasher ?? sha256Hasher)();
    let offset = 0;
    let pending: Uint8Array = new Uint8Array(0);
    let resumes = opts.resumes ?? 3;
    let ended = false;
    while (!ended || pending.byteLength > 0) {
      const parts: Uint8Array[] = [pending];
      let have = pending.byteLength;
      while (!ended && have < chunkSize) {
        const r = await reader.read();
        if (r.done) ended = true;
        else {
          hash.update(r.value);
          parts.push(r.value);
          have += r.value.byteLength;
        }
      }
      if (parts.length > 1) pending = concat(parts, have);
      const chunk = pending.subarray(0, Math.min(chunkSize, pending.byteLength));
      if (chunk.byteLength === 0) break;
      try {
        const res = await this.request({
          url: location, method: 'PATCH', body: chunk, retries: 0,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.byteLength - 1}` },
        });
        await res.body?.cancel();
        location = this.location(res);
        offset += chunk.byteLength;
        pending = pending.subarray(chunk.byteLength);
      } catch (e) {
        if (resumes-- <= 0 || (TabdockError.is(e) && !e.retryable)) throw e;
        // What the registry kept of the failed chunk: the upload's status (204, Range: 0-<last byte>).
        const st = await this.request({ url: location, method: 'GET' });
        await st.body?.cancel();
        location = this.location(st);
        // `0-0` is what distribution says of an empty upload too: at offset 0 it means nothing kept.
        const range = st.headers.get('range');
        const have = offset === 0 && /^(bytes=)?0-0$/.test(range?.trim() ?? '') ? 0 : rangeEnd(range);
        if (have < offset || have > offset + chunk.byteLength) {
          throw new TabdockError('REGISTRY_ERROR', `${this.ref.registry} reports ${have} bytes of the upload of ${blob.digest.short} after ${offset} were confirmed; cannot resume`, { registry: this.ref.registry });
        }
        pending = pending.subarray(have - offset);
        offset = have;
      }
      opts.onProgress?.(offset, blob.size);
    }
    const got = hash.digest();
    if (offset !== blob.size) throw new TabdockError('SIZE_MISMATCH', `blob ${blob.digest.short}: the store gave ${offset} bytes, its descriptor says ${blob.size}`, {});
    if (!got.equals(blob.digest)) throw digestMismatch(`blob ${blob.digest.short} in the store`, blob.digest, got);
    return location;
  }

  private async checkWhole(blob: PushBlob, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength !== blob.size) throw new TabdockError('SIZE_MISMATCH', `blob ${blob.digest.short}: the store gave ${bytes.byteLength} bytes, its descriptor says ${blob.size}`, {});
    const got = await sha256(bytes, this.hasher);
    if (!got.equals(blob.digest)) throw digestMismatch(`blob ${blob.digest.short} in the store`, blob.digest, got);
  }

  /** PUT of the manifest under a tag (or its digest); answers the digest the registry names it by. */
  async putManifest(tagOrDigest: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    const res = await this.request({ path: `/v2/${this.ref.repository}/manifests/${tagOrDigest}`, method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
    await res.body?.cancel();
    const mine = await sha256(bytes, this.hasher);
    const said = Digest.tryParse(res.headers.get('docker-content-digest') ?? '');
    if (said && said.algorithm === 'sha256' && !said.equals(mine)) throw digestMismatch(`the pushed manifest (Docker-Content-Digest)`, mine, said);
    return mine;
  }

  /** An upload's next URL (Location, relative to the registry), as an absolute URL on the endpoint. */
  private location(res: Response): string {
    const loc = res.headers.get('location');
    if (!loc) throw new TabdockError('REGISTRY_ERROR', `${this.ref.registry} answered an upload request (${res.status}) without a Location`, { registry: this.ref.registry });
    const base = `${this.ep.secure ? 'https' : 'http'}://${this.ep.host}/`;
    const u = new URL(loc, base);
    // The upload must stay on the registry the credentials are for.
    if (u.host !== this.ep.host) throw new TabdockError('REGISTRY_ERROR', `${this.ref.registry} sent an upload Location on another host (${u.host}); refusing to send the image there`, { registry: this.ref.registry });
    return u.toString();
  }
}

function withDigest(location: string, d: Digest): string {
  const u = new URL(location);
  u.searchParams.set('digest', d.toString());
  return u.toString();
}

/** `Range: 0-1234` (the last byte held, inclusive): the count of bytes held. */
function rangeEnd(h: string | null): number {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(h?.trim() ?? '');
  return m ? Number(m[1]) + 1 : 0;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
