import { parseReference } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ContainerFilesystems } from './containers/filesystems.ts';
import type { ContainerRecord } from './containers/record.ts';
import { applyChanges } from './image-changes.ts';
import type { ImageService } from './images.ts';

export interface CommitOptions {
  /** `REPO[:TAG]`; none: an untagged image. */
  reference?: string;
  /** `-a`: the image's author. */
  author?: string;
  /** `-m`: the history entry's comment. */
  comment?: string;
  /** `-c`: Dockerfile instructions applied to the config (image-changes.ts). */
  changes?: string[];
  /** `-p` (Docker's default true): a running container is paused while its layer is made. */
  pause?: boolean;
}

export interface CommitDeps {
  findContainer(ref: string): Promise<ContainerRecord>;
  filesystems: Pick<ContainerFilesystems, 'commit'>;
  images: Pick<ImageService, 'create' | 'store'>;
  /** Freezes (true) or thaws (false) a running container (`docker pause`). */
  pause?: (id: string, paused: boolean) => Promise<void>;
}

/**
 * `docker commit` (moby daemon/commit.go): the container's changes as a new layer over its
 * image, and an image config that is the container's config (what it ran with: Cmd, Env,
 * ...) with `--change` applied; one history entry (`created_by` the container's Cmd,
 * `comment` -m, `author` -a). The changes are read from the tree as it was saved at the
 * call: a file the container changes while the layer is made fails the commit
 * (COMMIT_CHANGED), it never yields a torn layer.
 */
export async function commitContainer(d: CommitDeps, ref: string, opts: CommitOptions): Promise<{ id: string }> {
  const c = await d.findContainer(ref);
  const tag = opts.reference ? tagOf(opts.reference) : undefined;
  const parent = await d.images.store.get(c.Image);
  if (!parent) throw new TabdockError('NO_SUCH_IMAGE', `the image of container ${c.Id.slice(0, 12)} (${c.Image.slice(7, 19)}) is gone: there is nothing to commit it over`, { image: c.Image });
  const cc = c.Config;
  const base = {
    ...(cc.User ? { User: cc.User } : {}),
    ...(cc.ExposedPorts && Object.keys(cc.ExposedPorts).length ? { ExposedPorts: cc.ExposedPorts } : {}),
    Env: cc.Env,
    Cmd: cc.Cmd,
    ...(cc.Volumes && Object.keys(cc.Volumes).length ? { Volumes: cc.Volumes } : {}),
    WorkingDir: cc.WorkingDir,
    Entrypoint: cc.Entrypoint,
    ...(parent.config.config?.['OnBuild'] ? { OnBuild: parent.config.config['OnBuild'] } : {}),
    Labels: cc.Labels,
    ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
    // moby commits the container's whole Config: its health check (merged) and SHELL too.
    ...(cc.Healthcheck ? { Healthcheck: cc.Healthcheck } : {}),
    ...(cc.Shell ? { Shell: cc.Shell } : {}),
  };
  // Changes first: a bad one fails before the layer is made.
  const config = applyChanges(base, opts.changes ?? []);
  // moby: a running container is paused for the commit (unless -p=false) and thawed after,
  // so its files are still while they are read; one already paused stays paused.
  let pausing = opts.pause !== false && c.State.Running && !c.State.Paused && d.pause !== undefined;
  // A runtime with no freezer (WASI): committed as it runs; a change meanwhile still fails it (COMMIT_CHANGED).
  if (pausing) await d.pause!(c.Id, true).catch((e: unknown) => {
    if (!TabdockError.is(e, 'UNSUPPORTED')) throw e;
    pausing = false;
  });
  let layer;
  try {
    layer = await d.filesystems.commit(c);
  } finally {
    if (pausing) await d.pause!(c.Id, false).catch(() => {});
  }
  const img = await d.images.create({
    parent,
    layers: [layer],
    config,
    history: [{ createdBy: (cc.Cmd ?? []).join(' '), ...(opts.comment ? { comment: opts.comment } : {}) }],
    ...(opts.author ? { author: opts.author } : {}),
    ...(tag ? { tag } : {}),
  });
  return { id: img.id };
}

/** `REPO[:TAG]` as `commit`, `import` and `tag` take it: no digest, `latest` by default. */
export function tagOf(text: string): string {
  const r = parseReference(text);
  if (r.digest) throw new TabdockError('INVALID_REFERENCE', `refusing to create a tag with a digest reference`, { reference: text });
  return `${r.name}:${r.tag}`;
}
