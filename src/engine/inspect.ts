import type { ContainerRecord } from './containers/record.ts';
import type { ImageRecord } from './image-record.ts';
import { familiar } from './images.ts';
import { emptySettings } from './network/settings.ts';

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

/** Where a runtime keeps a container's files, and what it runs now (for `inspect`). */
export interface ContainerFacts {
  /** The directory holding its `hostname`, `hosts` and `resolv.conf` (the guest's bundle); none for a runtime without them. */
  filesDir?: string;
  /** Its running execs. */
  execIds: string[];
}

/**
 * `docker inspect` of a container: the record in Docker's `ContainerJSON` keys and order
 * (moby api/types `ContainerJSONBase` + Mounts, Config, NetworkSettings), never the
 * engine's own fields (`RunOptions`). LogPath is empty, as Docker shows it for a log
 * driver without a file: logs live in the engine's store, not in a file of their own.
 */
export function inspectContainer(c: ContainerRecord, f: ContainerFacts): Record<string, unknown> {
  const file = (name: string) => (f.filesDir ? `${f.filesDir}/${name}` : '');
  return {
    Id: c.Id,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: c.State,
    Image: c.Image,
    ResolvConfPath: file('resolv.conf'),
    HostnamePath: file('hostname'),
    HostsPath: file('hosts'),
    LogPath: '',
    Name: c.Name,
    RestartCount: c.RestartCount,
    Driver: c.Driver,
    Platform: c.Platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: f.execIds.length ? f.execIds : null,
    HostConfig: c.HostConfig,
    // The container's tree: its image's layers under its own writable layer, in the store.
    GraphDriver: { Data: null, Name: c.Driver },
    Mounts: c.Mounts,
    Config: c.Config,
    NetworkSettings: c.NetworkSettings ?? emptySettings(),
  };
}
