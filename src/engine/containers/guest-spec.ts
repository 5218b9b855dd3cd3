import { buildOciSpec } from '../spec/oci-spec.ts';

/** Debian's static tini in the guest (kernel/build-initramfs.sh), bound at /sbin/docker-init for `--init`. */
export const GUEST_INIT = '/usr/bin/docker-init';
import { guestRootfsPath, guestVolumePath } from './guest-runtime.ts';
import type { SpecBuilder } from './runtimes.ts';

/** config.json for a container in the guest: moby's rules (spec/) with our bundle paths. */
export const guestSpec: SpecBuilder = async (c, image, readFile) => {
  const [passwd, group] = await Promise.all([readFile('/etc/passwd'), readFile('/etc/group')]);
  return buildOciSpec({
    image: image.config,
    options: c.RunOptions,
    containerId: c.Id,
    hostname: c.Config.Hostname,
    rootfsPath: guestRootfsPath(c.Id),
    ...(passwd !== undefined ? { passwd } : {}),
    ...(group !== undefined ? { group } : {}),
    volumes: c.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => ({ name: m.Name!, hostPath: guestVolumePath(m.Name!), destination: m.Destination, readOnly: !m.RW })),
    tty: c.Config.Tty,
    initPath: GUEST_INIT,
  }) as unknown as Record<string, unknown>;
};
