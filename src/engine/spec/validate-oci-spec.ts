import type { OciSpec } from './oci-types.ts';

/**
 * Shape checks from the OCI runtime-spec (config.md, config-linux.md and the JSON schema
 * in `schema/config-schema.json`, `config-linux.json`, `defs.json`): what crun would
 * refuse, caught before the config reaches the guest. Returns the problems found.
 */
const NAMESPACES = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup']);
const SECCOMP_ACTIONS = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY']);
const SECCOMP_OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const isUint32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
const isInt = (n: unknown) => Number.isSafeInteger(n);

export function validateOciSpec(spec: OciSpec): string[] {
  const errs: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) errs.push(what);
  };
  need(typeof spec.ociVersion === 'string' && /^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec.ociVersion), 'ociVersion must be a 1.x semantic version');
  need(typeof spec.root?.path === 'string' && spec.root.path !== '', 'root.path is required');
  const p = spec.process;
  need(Array.isArray(p?.args) && p.args.length > 0 && p.args.every((a) => typeof a === 'string'), 'process.args must be a non-empty array of strings');
  need(typeof p?.cwd === 'string' && p.cwd.startsWith('/'), 'process.cwd must be an absolute path');
  need(isUint32(p?.user?.uid) && isUint32(p?.user?.gid), 'process.user.uid and gid are required uint32s');
  need((p?.user?.additionalGids ?? []).every(isUint32), 'process.user.additionalGids must be uint32s');
  need((p?.env ?? []).every((e) => typeof e === 'string' && e.indexOf('=') > 0), 'process.env entries must be KEY=VALUE');
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
    need((p?.capabilities?.[set] ?? []).every((c) => /^CAP_[A-Z_]+$/.test(c)), `process.capabilities.${set} must hold CAP_ names`);
  }
  if (p?.consoleSize) need(isUint32(p.consoleSize.height) && isUint32(p.consoleSize.width), 'process.consoleSize needs height and width');
  for (const r of p?.rlimits ?? []) need(/^RLIMIT_[A-Z]+$/.test(r.type) && isInt(r.soft) && isInt(r.hard), `bad rlimit ${r.type}`);
  need(Array.isArray(spec.mounts), 'mounts must be an array');
  for (const m of spec.mounts ?? []) {
    need(typeof m.destination === 'string' && m.destination.startsWith('/'), `mount destination ${m.destination} must be absolute`);
    need(m.options === undefined || m.options.every((x) => typeof x === 'string'), `mount ${m.destination}: options must be strings`);
  }
  const l = spec.linux;
  need(l !== undefined, 'linux is required for a Linux container');
  const types = (l?.namespaces ?? []).map((n) => n.type);
  need(types.every((t) => NAMESPACES.has(t)), 'linux.namespaces has an unknown type');
  need(new Set(types).size === types.length, 'linux.namespaces must not repeat a type');
  // config.md: a hostname needs its own UTS namespace.
  if (spec.hostname !== undefined) need(types.includes('uts'), 'hostname needs a uts namespace');
  const res = l?.resources;
  if (res?.memory?.limit !== undefined) need(isInt(res.memory.limit), 'memory.limit must be an int64');
  if (res?.memory?.swap !== undefined) need(isInt(res.memory.swap), 'memory.swap must be an int64');
  if (res?.cpu) need((res.cpu.quota === undefined || isInt(res.cpu.quota)) && (res.cpu.period === undefined || isUint32(res.cpu.period)), 'cpu quota/period');
  if (res?.pids) need(isInt(res.pids.limit), 'pids.limit must be an int64');
  for (const d of res?.devices ?? []) need(typeof d.allow === 'boolean', 'device rule needs allow');
  for (const path of [...(l?.maskedPaths ?? []), ...(l?.readonlyPaths ?? [])]) need(path.startsWith('/'), `${path} must be absolute`);
  const sc = l?.seccomp;
  if (sc) {
    need(SECCOMP_ACTIONS.has(sc.defaultAction), 'seccomp.defaultAction is not a known action');
    need((sc.architectures ?? []).every((a) => /^SCMP_ARCH_[A-Z0-9_]+$/.test(a)), 'seccomp.architectures');
    for (const s of sc.syscalls ?? []) {
      need(s.names.length > 0 && SECCOMP_ACTIONS.has(s.action), `seccomp syscall rule ${s.names.join(',')}`);
      for (const a of s.args ?? []) need(isUint32(a.index) && SECCOMP_OPS.has(a.op) && Number.isInteger(a.value), `seccomp arg of ${s.names[0]}`);
    }
  }
  return errs;
}
