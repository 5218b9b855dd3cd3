import { TabdockError } from '../shared/errors.ts';
import type { Descriptor } from './manifest.ts';
import { digestMismatch, sha256Hasher, sizeMismatch, type HasherFactory } from './verify.ts';

/**
 * A verified blob stream that resumes with `Range` after a cut connection, so a 30 MiB
 * layer does not start over because one packet went missing. The hash runs across the
 * resumed parts; the stream ends in an error unless size and digest check out.
 */
/**
 * Bytes read ahead of the consumer: lets the download overlap the hashing, inflating and
 * writing downstream.
 */
const READ_AHEAD_BYTES = 16 << 20;
/** Bytes gathered into one chunk for the consumer. */
const PIECE = 1 << 20;

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

export type Opener = (offset: number) => Promise<Response>;

export interface BlobProgress {
  (done: number, total: number): void;
}

export function resumableBlob(desc: Descriptor, what: string, open: Opener, opts: { retries?: number; onProgress?: BlobProgress; sleep?: (ms: number) => Promise<void>; hasher?: HasherFactory; signal?: AbortSignal } = {}): ReadableStream<Uint8Array> {
  const retries = opts.retries ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let received = 0;
  let skip = 0;
  let cuts = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Set by cancel(): no new connection after it, and one opened meanwhile is closed. */
  let cancelled = false;
  let hasher: Awaited<ReturnType<typeof sha256Hasher>> | undefined;

  async function connect(): Promise<void> {
    if (cancelled) throw new TabdockError('DOWNLOAD_CANCELLED', `${what}: the download was cancelled`, {});
    const res = await open(received);
    if (cancelled) {
      await res.body?.cancel().catch(() => {});
      throw new TabdockError('DOWNLOAD_CANCELLED', `${what}: the download was cancelled`, {});
    }
    if (!res.body) throw new TabdockError('BLOB_EMPTY', `${what}: the registry sent no body`, {});
    // A server that ignores Range answers 200 with the whole blob: skip what we have.
    skip = received > 0 && res.status !== 206 ? received : 0;
    reader = res.body.getReader();
  }

  return new ReadableStream<Uint8Array>({
    async start() {
      hasher = await (opts.hasher ?? sha256Hasher)();
      await connect();
    },
    async pull(ctl) {
      // Network chunks (16-64 KiB) are gathered into pieces of up to PIECE bytes from what
      // has already arrived: every stage downstream (tee, store, inflate, hash) then pays
      // its per-chunk cost far fewer times per layer.
      const parts: Uint8Array[] = [];
      let bytes = 0;
      const flush = () => {
        ctl.enqueue(parts.length === 1 ? parts[0]! : concat(parts, bytes));
        parts.length = 0;
        bytes = 0;
      };
      for (;;) {
        let r: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
        try {
          r = await reader!.read();
        } catch (e) {
          // A cancelled pull is not a cut: no new connection.
          if (opts.signal?.aborted || (TabdockError.is(e) && e.code === 'DOWNLOAD_CANCELLED')) throw e;
          if (++cuts > retries) throw new TabdockError('DOWNLOAD_INTERRUPTED', `${what}: the download was cut ${cuts} times; last: ${e instanceof Error ? e.message : String(e)}`, { received }, { retryable: true });
          await sleep(200 * 2 ** cuts);
          await connect();
          continue;
        }
        if (r.done) {
          if (received !== desc.size) {
            // A body that ended early without an error is a cut too (a proxy closed it).
            if (received < desc.size && ++cuts <= retries) {
              await connect();
              continue;
            }
            throw sizeMismatch(what, desc.size, received, false);
          }
          const got = hasher!.digest();
          if (!got.equals(desc.digest)) throw digestMismatch(what, desc.digest, got);
          if (bytes > 0) flush();
          ctl.close();
          return;
        }
        let chunk = r.value;
        if (skip > 0) {
          const n = Math.min(skip, chunk.byteLength);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.byteLength === 0) continue;
        }
        if (received + chunk.byteLength > desc.size) {
          await reader!.cancel().catch(() => {});
          throw sizeMismatch(what, desc.size, received + chunk.byteLength, true);
        }
        received += chunk.byteLength;
        hasher!.update(chunk);
        opts.onProgress?.(received, desc.size);
        parts.push(chunk);
        bytes += chunk.byteLength;
        // The blob's last bytes wait for its digest (above): nothing downstream sees the
        // end of a blob that turns out wrong.
        if (bytes >= PIECE && received < desc.size) {
          flush();
          return;
        }
      }
    },
    async cancel(reason) {
      cancelled = true;
      await reader?.cancel(reason).catch(() => {});
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: READ_AHEAD_BYTES }));
}
