/**
 * Hands output to one listener. A listener that throws (a page's proxy released, a client
 * gone) loses its own output only: the throw must not reach the process's reader, where
 * it would stall the process or, in the guest, the control channel every container shares.
 */
export function deliver(l: (chunk: Uint8Array, fd: 1 | 2) => void, chunk: Uint8Array, fd: 1 | 2): void {
  try {
    l(chunk, fd);
  } catch {
    // that consumer is gone; the others and the log still get the bytes
  }
}
