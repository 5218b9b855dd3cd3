import { invalidFlagValue } from './errors.ts';
import type { PortMapping, Ulimit } from './run-options.ts';

/**
 * `-p [[ip:]hostPort:]containerPort[/proto]` with ranges (docker/go-connections
 * `nat.ParsePortSpec`); the engine's network publishes it.
 */
export function parsePublish(raw: string): PortMapping[] {
  const fail = (why: string) => invalidFlagValue('-p, --publish', raw, why);
  let rest = raw;
  let protocol: PortMapping['protocol'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw fail(`invalid proto: ${p}`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  let parts: string[];
  if (bracket) {
    hostIp = bracket[1];
    parts = bracket[2]!.split(':');
    if (parts.length > 2) throw fail(`invalid port format: ${raw}`);
  } else {
    parts = rest.split(':');
    if (parts.length === 3) hostIp = parts.shift();
    if (parts.length > 2) throw fail(`invalid port format: ${raw}`);
  }
  const containerPort = parts[parts.length - 1]!;
  const hostPort = parts.length === 2 ? parts[0] : undefined;
  const range = /^(\d+)(?:-(\d+))?$/;
  const c = range.exec(containerPort);
  if (!c) throw fail(`invalid containerPort: ${containerPort}`);
  if (hostPort && !range.test(hostPort)) throw fail(`invalid hostPort: ${hostPort}`);
  const m: PortMapping = { containerPort, protocol };
  if (hostIp) m.hostIp = hostIp;
  if (hostPort) m.hostPort = hostPort;
  return [m];
}

const RLIMITS = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** `--ulimit name=soft[:hard]` (docker/go-units `ParseUlimit`). */
export function parseUlimit(raw: string): Ulimit {
  const fail = (why: string) => invalidFlagValue('--ulimit', raw, why);
  const eq = raw.indexOf('=');
  if (eq === -1) throw fail(`invalid ulimit argument: ${raw}`);
  const name = raw.slice(0, eq);
  if (!RLIMITS.includes(name)) throw fail(`invalid ulimit type: ${name}`);
  const limits = raw.slice(eq + 1).split(':');
  if (limits.length > 2) throw fail(`too many limit value arguments - ${raw.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const nums = limits.map((l) => {
    if (!/^-?\d+$/.test(l)) throw fail(`strconv.ParseInt: parsing "${l}": invalid syntax`);
    return Number(l);
  });
  const soft = nums[0]!;
  const hard = nums[1] ?? soft;
  if (soft > hard) throw fail(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { name, soft, hard };
}
