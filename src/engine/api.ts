import type { PullEvent } from './pull.ts';
import type { RemoveResult } from './images.ts';

/**
 * The engine's RPC contract: what the CLI asks its daemon over a unix socket and what
 * the page asks its worker through comlink. Arguments and results are plain data;
 * progress comes through callbacks; failures are `TabdockError`s (they serialise).
 */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | undefined;
  size: number;
  platform: string;
}

export interface PullSummary {
  /** The digest Docker prints (the index's when there is one). */
  digest: string;
  updated: boolean;
  /** Familiar form: `busybox:latest`. */
  reference: string;
  /** Fully qualified: `docker.io/library/busybox:latest`. */
  canonical: string;
  imageId: string;
}

export interface EngineApi {
  version(): Promise<{ version: string; pid?: number }>;
  pull(ref: string, opts: { platform?: string }, onEvent?: (e: PullEvent) => void): Promise<PullSummary>;
  listImages(): Promise<ImageSummary[]>;
  /** `docker image inspect` objects; `undefined` for a reference that names no image. */
  inspectImages(refs: string[]): Promise<(Record<string, unknown> | undefined)[]>;
  removeImage(ref: string, opts: { force?: boolean }): Promise<RemoveResult>;
  tagImage(source: string, target: string): Promise<void>;
}
