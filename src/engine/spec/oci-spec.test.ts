import { describe, expect, it } from 'vitest';
import type { ImageConfig } from '../../registry-client/index.ts';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.ts';
import { DEFAULT_PATH } from './env.ts';
import { MASKED_PATHS, READONLY_PATHS } from './oci-defaults.ts';
import { buildOciSpec, pathsToEnsure, type OciSpecInput } from './oci-spec.ts';
import type { OciMount, OciSpec } from './oci-types.ts';
import type { RunOptions } from './run-options.ts';
import { validateOciSpec } from './validate-oci-spec.ts';

const ID = 'f00dfeedcafe0123456789abcdef0123456789abcdef0123456789abcdef0123';
const image = (config: ImageConfig['config'] = {}): ImageConfig => ({
  architecture: '386', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] },
});
const options = (o: Partial<RunOptions> = {}): RunOptions => ({
  image: 'busybox', cmd: [], detach: false, interactive: false, tty: false, rm: false, env: [], readOnly: false,
  tmpfs: [], volumes: [], capAdd: [], capDrop: [], privileged: false, seccomp: 'default', noNewPrivileges: false,
  labels: {}, pull: 'missing', init: false, network: 'default', networkAliases: [], addHosts: [], dns: [], dnsSearch: [], dnsOptions: [], publish: [], publishAll: false, expose: [], restart: { Name: 'no', MaximumRetryCount: 0 }, ulimits: [], ...o,
});
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n';
const GROUP = 'root:x:0:\nwww-data:x:33:\nshadow:x:42:www\n';
const build = (o: Partial<RunOptions> = {}, extra: Partial<OciSpecInput> = {}, cfg: ImageConfig['config'] = { Cmd: ['sh'] }): OciSpec => {
  const spec = buildOciSpec({ image: image(cfg), options: options(o), containerId: ID, rootfsPath: '/c/rootfs', passwd: PASSWD, group: GROUP, tty: false, ...extra });
  // Every spec built here must pass the runtime-spec shape checks.
  expect(validateOciSpec(spec)).toEqual([]);
  // And survive JSON, as it is written to config.json.
  expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  return spec;
};
const mount = (s: OciSpec, dest: string): OciMount | undefined => s.mounts.find((m) => m.destination === dest);

describe('buildOciSpec: process', () => {
  it('a plain run: root, Docker defaults', () => {
    const s = build({}, {}, { Cmd: ['sh'], Env: ['PATH=/bin'], WorkingDir: '' });
    expect(s.ociVersion).toBe('1.0.2');
    expect(s.process).toMatchObject({ terminal: false, args: ['sh'], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [0] } });
    expect(s.process.env).toEqual(['PATH=/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'HOME=/root']);
    expect(s.hostname).toBe(ID.slice(0, 12));
    expect(s.root).toEqual({ path: '/c/rootfs', readonly: false });
    expect(s.linux.cgroupsPath).toBe(`/tabdock/${ID}`);
    expect(pathsToEnsure(s)).toEqual([]);
  });

  it('-t: terminal, TERM=xterm, console size', () => {
    const s = build({ tty: true }, { tty: true, consoleSize: { height: 40, width: 120 } });
    expect(s.process.terminal).toBe(true);
    expect(s.process.consoleSize).toEqual({ height: 40, width: 120 });
    expect(s.process.env).toContain('TERM=xterm');
  });

  it('-h, -e and -w; the working directory is to be created', () => {
    const s = build({ hostname: 'box', env: ['A=1'], workdir: '/srv/app/' }, {}, { Cmd: ['sh'], Env: ['A=0', 'B=2'], WorkingDir: '/ignored' });
    expect(s.hostname).toBe('box');
    expect(s.process.env).toEqual([`PATH=${DEFAULT_PATH}`, 'HOSTNAME=box', 'A=1', 'B=2', 'HOME=/root']);
    expect(s.process.cwd).toBe('/srv/app');
    expect(pathsToEnsure(s)).toEqual([{ path: '/srv/app', mode: 0o755, uid: 0, gid: 0 }]);
  });

  it("the image's WorkingDir and User apply when the flags are absent", () => {
    const s = build({}, {}, { Cmd: ['sh'], WorkingDir: '/var/www', User: 'www' });
    expect(s.process.cwd).toBe('/var/www');
    expect(s.process.user).toEqual({ uid: 33, gid: 33, additionalGids: [33, 42] });
    expect(s.process.env).toContain('HOME=/var/www');
  });

  it('-u overrides the image user; a non-root user keeps only the bounding set', () => {
    const s = build({ user: '1000:1000' }, {}, { Cmd: ['sh'], User: 'www' });
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000] });
    expect(s.process.env).toContain('HOME=/');
    expect(s.process.capabilities).toEqual({ bounding: [...DEFAULT_CAPABILITIES] });
  });

  it('user errors and command errors surface with their sentences', () => {
    expect(() => build({ user: 'ghost' })).toThrow('unable to find user ghost: no matching entries in passwd file');
    expect(() => build({}, {}, {})).toThrow('No command specified');
    expect(() => build({}, {}, { Cmd: ['sh'], WorkingDir: 'rel' })).toThrow("the working directory 'rel' is invalid, it needs to be an absolute path");
  });

  it('--init wraps the command and binds the init', () => {
    const s = build({ init: true }, { initPath: '/usr/bin/tini' }, { Entrypoint: ['/entry'], Cmd: ['a'] });
    expect(s.process.args).toEqual(['/sbin/docker-init', '--', '/entry', 'a']);
    expect(mount(s, '/sbin/docker-init')).toEqual({ destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini', options: ['bind', 'ro'] });
    expect(() => build({ init: true })).toThrow('--init is not available');
  });

  it('--ulimit becomes rlimits; no-new-privileges', () => {
    const s = build({ ulimits: [{ name: 'nofile', soft: 64, hard: 128 }], noNewPrivileges: true });
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 64, hard: 128 }]);
    expect(s.process.noNewPrivileges).toBe(true);
  });
});

describe('buildOciSpec: security', () => {
  it('defaults: 14 caps, seccomp, masked and read-only paths, own namespaces', () => {
    const s = build();
    expect(s.process.capabilities).toEqual({ bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES] });
    expect(s.process.capabilities!.inheritable).toBeUndefined();
    expect(s.linux.maskedPaths).toEqual([...MASKED_PATHS]);
    expect(s.linux.readonlyPaths).toEqual([...READONLY_PATHS]);
    expect(s.linux.namespaces.map((n) => n.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    expect(s.process.noNewPrivileges).toBeUndefined();
    const sc = s.linux.seccomp!;
    expect(sc).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86'] });
    const allowed = (name: string) => sc.syscalls!.filter((r) => r.names.includes(name));
    expect(allowed('read')[0]!.action).toBe('SCMP_ACT_ALLOW');
    expect(allowed('modify_ldt')).toHaveLength(1);
    expect(allowed('chroot')).toHaveLength(1); // CAP_SYS_CHROOT is a default
    for (const n of ['mount', 'unshare', 'setns', 'init_module', 'reboot', 'kexec_load', 'arch_prctl', 'add_key', 'keyctl']) expect(allowed(n)).toEqual([]);
    expect(allowed('clone')[0]).toMatchObject({ args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(allowed('clone3')[0]).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(allowed('socket')[0]!.args).toEqual([{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
  });

  it('the seccomp profile follows the capabilities', () => {
    const names = (s: OciSpec) => s.linux.seccomp!.syscalls!.flatMap((r) => (r.action === 'SCMP_ACT_ALLOW' && !r.args ? r.names : []));
    const admin = build({ capAdd: ['CAP_SYS_ADMIN'] });
    expect(names(admin)).toEqual(expect.arrayContaining(['mount', 'unshare', 'setns', 'clone', 'clone3']));
    expect(admin.linux.seccomp!.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO')).toBe(false);
    expect(names(build({ capAdd: ['CAP_SYS_PTRACE'] }))).toEqual(expect.arrayContaining(['kcmp', 'pidfd_getfd']));
    expect(names(build({ capDrop: ['CAP_SYS_CHROOT'] }))).not.toContain('chroot');
  });

  it('--security-opt seccomp=unconfined removes the profile only', () => {
    const s = build({ seccomp: 'unconfined' });
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toEqual([...MASKED_PATHS]);
  });

  it('--cap-add/--cap-drop', () => {
    expect(build({ capDrop: ['ALL'], capAdd: ['CAP_CHOWN'] }).process.capabilities!.bounding).toEqual(['CAP_CHOWN']);
    expect(build({ capAdd: ['ALL'] }).process.capabilities!.effective).toEqual([...ALL_CAPABILITIES]);
  });

  it('--privileged: all caps, no seccomp, no masked/read-only paths, /sys and cgroup writable, all devices', () => {
    const s = build({ privileged: true });
    expect(s.process.capabilities!.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.linux.readonlyPaths).toBeUndefined();
    expect(mount(s, '/sys')!.options).not.toContain('ro');
    expect(mount(s, '/sys/fs/cgroup')!.options).not.toContain('ro');
    expect(s.linux.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
  });
});

describe('buildOciSpec: mounts', () => {
  it("Docker's default mounts", () => {
    const s = build();
    expect(s.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
    expect(mount(s, '/dev/shm')!.options).toContain('size=67108864');
    expect(mount(s, '/sys')!.options).toContain('ro');
    expect(mount(s, '/sys/fs/cgroup')).toMatchObject({ type: 'cgroup', options: expect.arrayContaining(['ro']) });
  });

  it('--tmpfs and volumes come after the defaults, parents first', () => {
    const s = build(
      { tmpfs: [{ target: '/data/tmp', data: 'size=1m' }, { target: '/run', data: '' }] },
      { volumes: [{ name: 'data', hostPath: '/vols/data/_data', destination: '/data', readOnly: false }, { name: 'cfg', hostPath: '/vols/cfg/_data', destination: '/etc/app', readOnly: true }] },
    );
    const user = s.mounts.slice(7);
    expect(user.map((m) => m.destination)).toEqual(['/data', '/run', '/etc/app', '/data/tmp']);
    expect(mount(s, '/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] });
    expect(mount(s, '/data/tmp')!.options).toEqual(['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m']);
    expect(mount(s, '/data')).toEqual({ destination: '/data', type: 'bind', source: '/vols/data/_data', options: ['rbind'] });
    expect(mount(s, '/etc/app')!.options).toEqual(['rbind', 'ro']);
  });

  it('a user mount replaces the default at its destination; a user /dev replaces /dev/*', () => {
    const shm = build({ tmpfs: [{ target: '/dev/shm', data: 'size=1g' }] });
    expect(shm.mounts.filter((m) => m.destination === '/dev/shm')).toHaveLength(1);
    expect(mount(shm, '/dev/shm')!.options).toContain('size=1g');
    const dev = build({ tmpfs: [{ target: '/dev', data: '' }] });
    expect(dev.mounts.filter((m) => m.destination.startsWith('/dev'))).toHaveLength(1);
  });

  it('--read-only: the root and the non-user mounts, except /proc and /dev/*', () => {
    const s = build({ readOnly: true, tmpfs: [{ target: '/tmp', data: '' }] });
    expect(s.root.readonly).toBe(true);
    for (const d of ['/sys', '/sys/fs/cgroup']) expect(mount(s, d)!.options).toContain('ro');
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/tmp']) expect(mount(s, d)!.options).not.toContain('ro');
    expect(mount(s, '/sys')!.options!.filter((o) => o === 'ro')).toHaveLength(1);
  });
});

describe('buildOciSpec: resources', () => {
  it.each([
    ['none: the engine default pids limit', {}, { devices: expect.any(Array), pids: { limit: 1024 } }],
    ['-m: swap twice the memory', { memory: 32 * 2 ** 20 }, { memory: { limit: 32 * 2 ** 20, swap: 64 * 2 ** 20 } }],
    ['-m with --memory-swap', { memory: 32 * 2 ** 20, memorySwap: 48 * 2 ** 20 }, { memory: { limit: 32 * 2 ** 20, swap: 48 * 2 ** 20 } }],
    ['-m with unlimited swap', { memory: 32 * 2 ** 20, memorySwap: -1 }, { memory: { limit: 32 * 2 ** 20, swap: -1 } }],
    ['--cpus 0.5', { nanoCpus: 5e8 }, { cpu: { period: 100000, quota: 50000 } }],
    ['--cpus 1', { nanoCpus: 1e9 }, { cpu: { period: 100000, quota: 100000 } }],
    ['--cpus 0.01', { nanoCpus: 1e7 }, { cpu: { period: 100000, quota: 1000 } }],
    ['--pids-limit 32', { pidsLimit: 32 }, { pids: { limit: 32 } }],
    ['--pids-limit 0 is unlimited', { pidsLimit: 0 }, { pids: { limit: -1 } }],
    ['--pids-limit -1', { pidsLimit: -1 }, { pids: { limit: -1 } }],
  ])('%s', (_, o, want) => {
    expect(build(o as Partial<RunOptions>).linux.resources).toMatchObject(want);
  });

  it('the device cgroup denies all but the standard devices', () => {
    const d = build().linux.resources!.devices!;
    expect(d[0]).toEqual({ allow: false, access: 'rwm' });
    expect(d).toContainEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
    expect(d).toContainEqual({ allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' });
  });
});

describe('validateOciSpec', () => {
  it('catches what crun would refuse', () => {
    const s = build();
    const bad = JSON.parse(JSON.stringify(s)) as OciSpec;
    bad.process.args = [];
    bad.process.cwd = 'relative';
    bad.root.path = '';
    bad.linux.namespaces = bad.linux.namespaces.filter((n) => n.type !== 'uts');
    bad.mounts.push({ destination: 'x' });
    expect(validateOciSpec(bad)).toEqual([
      'root.path is required',
      'process.args must be a non-empty array of strings',
      'process.cwd must be an absolute path',
      'mount destination x must be absolute',
      'hostname needs a uts namespace',
    ]);
  });
});
