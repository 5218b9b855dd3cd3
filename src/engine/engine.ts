import { formatPlatform, parsePlatform } from '../registry-client/index.ts';
import type { EngineApi, ImageSummary, PullSummary } from './api.ts';
import { ImageService, type ImageServiceDeps } from './images.ts';
import { inspectImage } from './inspect.ts';
import type { PullEvent } from './pull.ts';

export const ENGINE_VERSION = '0.1.0';

/** The engine behind the RPC contract; one per store, shared by every client. */
export class Engine implements EngineApi {
  readonly images: ImageService;

  constructor(deps: ImageServiceDeps) {
    this.images = new ImageService(deps);
  }

  async version() {
    return { version: ENGINE_VERSION };
  }

  async pull(ref: string, opts: { platform?: string }, onEvent?: (e: PullEvent) => void): Promise<PullSummary> {
    const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
    const r = await this.images.pull(ref, { ...(platform ? { platform } : {}), ...(onEvent ? { onProgress: onEvent } : {}) });
    return { digest: r.digest.toString(), updated: r.updated, reference: r.reference, canonical: r.canonical, imageId: r.image.id };
  }

  async listImages(): Promise<ImageSummary[]> {
    return (await this.images.list()).map((r) => ({
      id: r.id, repoTags: r.repoTags, repoDigests: r.repoDigests, created: r.config.created, size: r.size, platform: formatPlatform(r.platform),
    }));
  }

  async inspectImages(refs: string[]) {
    const out: (Record<string, unknown> | undefined)[] = [];
    for (const ref of refs) {
      const r = await this.images.find(ref);
      out.push(r ? inspectImage(r) : undefined);
    }
    return out;
  }

  removeImage(ref: string, opts: { force?: boolean }) {
    return this.images.remove(ref, opts);
  }

  tagImage(source: string, target: string) {
    return this.images.tag(source, target);
  }
}
