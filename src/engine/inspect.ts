import type { ImageRecord } from './image-record.ts';
import { familiar } from './images.ts';

/** `docker image inspect` output, in Docker's field names. */
export function inspectImage(r: ImageRecord): Record<string, unknown> {
  const c = r.config;
  const out: Record<string, unknown> = {
    Id: r.id,
    RepoTags: r.repoTags.map(familiar),
    RepoDigests: r.repoDigests.map(familiar),
    Parent: '',
    Comment: (c.history ?? []).at(-1)?.comment ?? '',
    Created: c.created ?? '',
    DockerVersion: typeof c['docker_version'] === 'string' ? c['docker_version'] : '',
    Author: c.author ?? '',
    Config: {
      User: '', ExposedPorts: undefined, Env: null, Cmd: null, Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
      ...(c.config ?? {}),
    },
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: r.size,
    RootFS: { Type: 'layers', Layers: r.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: r.lastTagTime },
    Descriptor: { mediaType: r.manifestMediaType, digest: r.manifestDigest },
  };
  return out;
}
