/**
 * Join a guest connection to another byte stream (a Node socket, a Wisp stream) in both
 * directions with backpressure both ways: a slow guest pauses the other side, a slow
 * other side pauses the guest (no credit granted, so the agent stops reading the guest
 * socket). FINs pass through; an abort on either side aborts the other.
 */
import type { GuestSocket } from './guest-socket.ts';

/** The other side: what the Node link and the browser link adapt their streams to. */
export interface PipeEnd {
  /** Resolve (or return) when the bytes are accepted; a promise pauses the guest until then. */
  write(bytes: Uint8Array): Promise<void> | void;
  /** Half-close: no more bytes to it (the guest sent FIN). */
  end(): void;
  /** Abort (the guest connection was reset or closed before both sides ended). */
  destroy(): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Its side ended cleanly (no more bytes from it). */
  onEnd(listener: () => void): void;
  /** It is gone (error, reset, or fully closed); before its onEnd this aborts the guest side. */
  onClose?(listener: () => void): void;
  pause(): void;
  resume(): void;
}

/** How many bytes from the other side may wait in the guest socket's queue before it is paused. */
const QUEUE_HIGH = 256 * 1024;

export function pipeSocket(guest: GuestSocket, other: PipeEnd): void {
  let guestEnded = false;
  let otherEnded = false;
  let done = false;

  guest.onData((chunk) => {
    const r = other.write(chunk);
    if (r && typeof (r as Promise<void>).then === 'function') {
      guest.pause();
      (r as Promise<void>).then(
        () => guest.resume(),
        () => abort(),
      );
    }
  });
  guest.onEnd(() => {
    guestEnded = true;
    other.end();
  });

  // Bytes handed to the guest socket and not yet within the agent's credit: up to
  // QUEUE_HIGH of them wait there, so each CREDIT the agent sends is answered at once
  // with the next frames, inside the emulator's tick, not after it.
  let queued = 0;
  let pausedOther = false;
  other.onData((chunk) => {
    queued += chunk.byteLength;
    if (queued >= QUEUE_HIGH && !pausedOther) {
      pausedOther = true;
      other.pause();
    }
    guest.write(chunk).then(
      () => {
        queued -= chunk.byteLength;
        if (pausedOther && queued < QUEUE_HIGH && !done) {
          pausedOther = false;
          other.resume();
        }
      },
      () => abort(),
    );
  });
  other.onEnd(() => {
    otherEnded = true;
    guest.end();
  });
  other.onClose?.(() => {
    if (!otherEnded) abort();
  });

  void guest.closed.then(() => {
    done = true;
    // a clean release after both FINs leaves the other side to finish its own writes
    if (guest.aborted || !(guestEnded && otherEnded)) other.destroy();
  });

  function abort(): void {
    if (done) return;
    done = true;
    guest.close();
    other.destroy();
  }
}
