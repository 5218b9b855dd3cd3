import type { SerializedError } from '../../shared/errors.ts';
import type { EngineApi } from '../api.ts';
import type { PullEvent } from '../pull.ts';

/**
 * The browser engine's contract beyond EngineApi: what the page's panels and boot
 * indicator watch, and the page-level actions (warm up the guest, reset everything).
 * Served by the worker (worker.ts) through comlink; the page gets it from client.ts.
 */
export type BootPhase = 'idle' | 'downloading' | 'restoring' | 'booting' | 'ready' | 'failed';

export interface BootStatus {
  phase: BootPhase;
  /** Bytes of the guest assets fetched so far / in all (phase 'downloading'). */
  loaded?: number;
  total?: number;
  /** Phase 'failed': why, as a TabdockError's JSON. */
  error?: SerializedError;
}

export type EngineEvent =
  | { type: 'boot'; status: BootStatus }
  /** Every pull's progress, whoever asked for it (the shell or a panel). */
  | { type: 'pull'; ref: string; event: PullEvent }
  | { type: 'pull-done'; ref: string; error?: SerializedError }
  /** The container list may have changed (create, start, exit, stop, rm). */
  | { type: 'containers' }
  /** The image list may have changed (pull, tag, rmi, prune). */
  | { type: 'images' }
  /** The volume list may have changed. */
  | { type: 'volumes' };

export interface BrowserEngine extends EngineApi {
  /** Engine events for this page; the returned function unsubscribes. */
  subscribe(onEvent: (e: EngineEvent) => void): () => void;
  bootStatus(): Promise<BootStatus>;
  /** Starts restoring the guest now (page load) so the first `run` does not wait for it. */
  warmUp(): Promise<void>;
  /** Removes every image, container and volume and the database; the page reloads after. */
  reset(): Promise<void>;
}
