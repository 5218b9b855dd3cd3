import { anonymousVolumeTargets } from '../spec/container-config.ts';
import type { RunOptions } from '../spec/run-options.ts';
import { ANONYMOUS_LABEL, type VolumeService } from '../volumes.ts';
import type { ContainerRecord, MountPoint } from './record.ts';

/**
 * The volumes a new container mounts: `-v NAME:/path` (created when missing), `-v /path`
 * and the image's VOLUMEs not covered otherwise (anonymous: a fresh random name each).
 */
export async function volumeMounts(vs: VolumeService, ic: Parameters<typeof anonymousVolumeTargets>[0], o: RunOptions): Promise<MountPoint[]> {
  const out: MountPoint[] = [];
  for (const v of o.volumes) {
    if (v.source === undefined) continue;
    const rec = await vs.create(v.source);
    out.push({ Type: 'volume', Name: rec.Name, Source: rec.Mountpoint, Destination: v.target, Mode: v.readOnly ? 'ro' : 'z', RW: !v.readOnly });
  }
  for (const target of anonymousVolumeTargets(ic, o)) {
    const ro = o.volumes.find((v) => v.source === undefined && v.target === target)?.readOnly ?? false;
    const rec = await vs.create(undefined, {}, { anonymous: true });
    out.push({ Type: 'volume', Name: rec.Name, Source: rec.Mountpoint, Destination: target, Mode: ro ? 'ro' : '', RW: !ro });
  }
  return out;
}

/** `rm -v` and `run --rm` take the container's anonymous volumes with it; named ones stay. */
export async function removeAnonymousVolumes(vs: VolumeService, c: ContainerRecord): Promise<void> {
  for (const m of c.Mounts) {
    if (m.Type !== 'volume' || !m.Name) continue;
    const v = await vs.find(m.Name);
    if (v && ANONYMOUS_LABEL in v.Labels) await vs.remove(m.Name).catch(() => {});
  }
}
