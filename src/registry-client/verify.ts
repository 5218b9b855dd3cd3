import { createSHA256 } from 'hash-wasm';
import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';

/**
 * Streaming size + sha256 checks (go-containerregistry's `verify.ReadCloser`). Bytes
 * flow through as they arrive; the stream errors as soon as it runs past the expected
 * size, and at its end unless both the size and the digest match. A consumer commits
 * what it wrote only after the stream closed without error.
 */
export interface Expected {
  digest: Digest;
  size: number;
}

export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Digest;
}

/** Makes a fresh streaming sha256. Injected: hash-wasm by default, OpenSSL in Node. */
export type HasherFactory = () => Promise<Hasher>;

export async function sha256Hasher(): Promise<Hasher> {
  const h = await createSHA256();
  h.init();
  return {
    update: (c) => void h.update(c),
    digest: () => Digest.fromHex(h.digest('hex')),
  };
}

export async function sha256(bytes: Uint8Array, hasher: HasherFactory = sha256Hasher): Promise<Digest> {
  const h = await hasher();
  h.update(bytes);
  return h.digest();
}

export function sizeMismatch(what: string, expected: number, got: number, more: boolean): TabdockError {
  return new TabdockError(
    'SIZE_MISMATCH',
    `${what}: expected ${expected} bytes but received ${more ? 'more' : got}; the download was cut or the registry sent different content`,
    { expected, received: got },
    { retryable: !more },
  );
}

export function digestMismatch(what: string, expected: Digest, got: Digest): TabdockError {
  return new TabdockError(
    'DIGEST_MISMATCH',
    `${what}: content does not match its digest (expected ${expected}, got ${got}); refusing to use it`,
    { expected: expected.toString(), actual: got.toString() },
  );
}

/** A TransformStream that passes bytes through and fails on a size or digest mismatch. */
export async function verifier(expected: Expected, what: string, onBytes?: (done: number) => void): Promise<TransformStream<Uint8Array, Uint8Array>> {
  const h = await sha256Hasher();
  let n = 0;
  return new TransformStream({
    transform(chunk, ctl) {
      n += chunk.byteLength;
      if (n > expected.size) throw sizeMismatch(what, expected.size, n, true);
      h.update(chunk);
      onBytes?.(n);
      ctl.enqueue(chunk);
    },
    flush() {
      if (n !== expected.size) throw sizeMismatch(what, expected.size, n, false);
      const got = h.digest();
      if (!got.equals(expected.digest)) throw digestMismatch(what, expected.digest, got);
    },
  });
}
