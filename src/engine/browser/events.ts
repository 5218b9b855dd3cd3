import type { SerializedError } from '../../shared/errors.ts';
import type { EngineApi } from '../api.ts';
import type { PullEvent } from '../pull.ts';
import type { EngineEvent } from '../events.ts';
import type { PortLike as MessagePortLike, PreviewRequest } from './preview-protocol.ts';

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

/**
 * What the page's subscribers get: the engine's own events (containers, images, volumes:
 * engine/events.ts, forwarded from the engine's subscription, nothing polled) and what
 * only the worker knows (the guest's boot, every pull's progress whoever asked for it).
 */
export type BrowserEvent =
  | EngineEvent
  | { type: 'boot'; status: BootStatus }
  /** Every pull's progress, whoever asked for it (the shell or a panel). */
  | { type: 'pull'; ref: string; event: PullEvent }
  /** A pull ended; with `error` when it failed (the image's `pull` event says it completed). */
  | { type: 'pull-done'; ref: string; error?: SerializedError }
  /** The network relay could not be reached: containers in this page have no egress (said once). */
  | { type: 'network'; available: false; message: string };

export type { EngineEvent };

export interface BrowserEngine extends EngineApi {
  /** Engine events for this page; the returned function unsubscribes. */
  subscribe(onEvent: (e: BrowserEvent) => void): () => void;
  bootStatus(): Promise<BootStatus>;
  /** Starts restoring the guest now (page load) so the first `run` does not wait for it. */
  warmUp(): Promise<void>;
  /** Removes every image, container and volume and the database; the page reloads after. */
  reset(): Promise<void>;
  /** Port preview (preview-protocol.ts): whether this tab runs a container with that ID prefix. */
  previewHas(container12: string): Promise<boolean>;
  /** Port preview: answer one request from the Service Worker on its port. */
  previewServe(request: PreviewRequest, port: MessagePortLike): Promise<void>;
}
