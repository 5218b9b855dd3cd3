/**
 * Guest test support: boot the committed guest, fill v86's built-in 9P filesystem with a
 * busybox rootfs and OCI bundles, and build minimal OCI runtime configs.
 * The built-in filesystem stands in for the fs-layers 9P server until that lands.
 */
import { readFile } from 'node:fs/promises';
import { Guest, type GuestOptions } from '../../src/emulator/index.ts';
import { loadArtifacts } from '../../src/emulator/node.ts';

export const BUSYBOX = process.env.TABDOCK_BUSYBOX_I386 ?? '/bin/busybox';
/** Where tests mount the 9P tree in the guest. */
export const MNT = '/mnt/t';

export async function startGuest(extra: Partial<GuestOptions> = {}): Promise<Guest> {
  const a = await loadArtifacts();
  return Guest.start({ images: a.images, wasm: a.wasm, timeoutMs: 180_000, ...extra });
}

interface Inode {
  mode: number;
}
interface V86Fs {
  inodes: Inode[];
  SearchPath(path: string): { id: number; parentid: number };
  CreateDirectory(name: string, parentId: number): number;
  CreateBinaryFile(name: string, parentId: number, data: Uint8Array): Promise<number>;
}

/** v86's in-memory 9P filesystem of this guest (only when no handle9p was given). */
function fsOf(guest: Guest): V86Fs {
  const fs = (guest.emulator as unknown as { fs9p?: V86Fs }).fs9p;
  if (!fs) throw new Error('guest has no built-in 9P filesystem');
  return fs;
}

export function mkdirp(guest: Guest, path: string): number {
  const fs = fsOf(guest);
  let parent = 0;
  let at = '';
  for (const name of path.split('/').filter(Boolean)) {
    at += '/' + name;
    const found = fs.SearchPath(at);
    parent = found.id >= 0 ? found.id : fs.CreateDirectory(name, parent);
  }
  return parent;
}

export async function writeFile(guest: Guest, path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const fs = fsOf(guest);
  const slash = path.lastIndexOf('/');
  const dir = mkdirp(guest, path.slice(0, slash));
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const id = await fs.CreateBinaryFile(path.slice(slash + 1), dir, bytes);
  const inode = fs.inodes[id];
  // regular files need S_IFREG in their mode (DESIGN "v86 facts")
  if (inode) inode.mode = 0o100000 | mode;
}

/** A rootfs with the static i386 busybox at `/bin/busybox` (no symlinks needed: we call it directly). */
export async function writeBusyboxRootfs(guest: Guest, dir: string): Promise<void> {
  await writeFile(guest, `${dir}/bin/busybox`, new Uint8Array(await readFile(BUSYBOX)), 0o755);
  await writeFile(guest, `${dir}/etc/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(guest, `${dir}/etc/group`, 'root:x:0:\ntty:x:5:\n');
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'root']) mkdirp(guest, `${dir}/${d}`);
}

export interface ConfigOptions {
  args: string[];
  rootPath: string;
  hostname?: string;
  terminal?: boolean;
  memoryLimit?: number;
  pidsLimit?: number;
  env?: string[];
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

/** A minimal OCI runtime config (runtime-spec config.md / config-linux.md), Docker's default capabilities. */
export function ociConfig(o: ConfigOptions): string {
  const resources: Record<string, unknown> = {};
  if (o.memoryLimit) resources.memory = { limit: o.memoryLimit, swap: o.memoryLimit };
  if (o.pidsLimit) resources.pids = { limit: o.pidsLimit };
  return JSON.stringify({
    ociVersion: '1.0.2',
    process: {
      terminal: o.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: o.args,
      env: o.env ?? ['PATH=/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: o.rootPath, readonly: false },
    hostname: o.hostname ?? 'container',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      resources,
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  });
}

/** Write bundle `name` (config.json only; the rootfs is shared at `${MNT}/rootfs`). */
export async function writeBundle(guest: Guest, name: string, o: Omit<ConfigOptions, 'rootPath'>): Promise<string> {
  await writeFile(guest, `/bundles/${name}/config.json`, ociConfig({ ...o, rootPath: `${MNT}/rootfs` }));
  return `${MNT}/bundles/${name}`;
}

/** Busybox rootfs at /rootfs of the 9P tree, mounted at MNT in the guest. */
export async function prepareNinePTree(guest: Guest): Promise<void> {
  await writeBusyboxRootfs(guest, '/rootfs');
  mkdirp(guest, '/bundles');
  await guest.agent.mount({ aname: 'test', path: MNT });
}

export const sh = (script: string): string[] => ['/bin/busybox', 'sh', '-c', script];
