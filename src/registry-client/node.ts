/**
 * Node-only additions to the registry client (a second public face, like the proxy's
 * edge-worker entry): imported by Node composition roots, never by browser code.
 */
import { createHash } from 'node:crypto';
import { Digest } from './digest.ts';
import type { Hasher, HasherFactory } from './verify.ts';

/** sha256 through OpenSSL (SHA-NI where the CPU has it): ~10x hash-wasm here. */
export const nodeSha256: HasherFactory = async (): Promise<Hasher> => {
  const h = createHash('sha256');
  return {
    update: (c) => void h.update(c),
    digest: () => Digest.fromHex(h.digest('hex')),
  };
};
