import { configError, flagError, invalidFlagValue } from './errors.ts';
import { parsePublish } from './run-flag-values.ts';
import type { Parsed, RunOptions } from './run-options.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(%\w+)?$/;
export const isIpv4 = (s: string) => IPV4.test(s);

const str = (p: Parsed, k: string) => p.flags[k] as string | undefined;
const list = (p: Parsed, k: string) => (p.flags[k] as string[] | undefined) ?? [];

/**
 * The network flags of `docker run` (docker/cli `opts.go`: ValidateExtraHost,
 * ValidateIPAddress, ValidateDNSSearch; `nat.ParsePortSpec` for -p/--expose). What needs
 * the daemon's knowledge (does the network exist, is --ip in its subnet) is checked at
 * create by the engine's network (engine/network/container-net.ts).
 */
export function parseNetworkFlags(parsed: Parsed, o: RunOptions): void {
  const network = str(parsed, 'network');
  if (network !== undefined && network !== '') {
    if (network === 'container:' || network === 'container') throw flagError(`invalid container format container:<name|id>`);
    o.network = network;
  }
  o.networkAliases = list(parsed, 'network-alias');
  const ip = str(parsed, 'ip');
  if (ip !== undefined && ip !== '') {
    if (!isIpv4(ip)) throw invalidFlagValue('--ip', ip, `invalid string being converted to IP address: ${ip}`);
    o.ip = ip;
  }
  const mac = str(parsed, 'mac-address');
  if (mac !== undefined && mac !== '') {
    if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw configError(`${mac} is not a valid mac address`);
    if (parseInt(mac.slice(0, 2), 16) & 1) throw configError(`${mac} is a multicast MAC address: a container's must be unicast`);
    o.macAddress = mac.toLowerCase();
  }
  for (const h of list(parsed, 'add-host')) {
    // "host:ip" or (Docker 25+) "host=ip"; the first separator splits.
    const eq = h.indexOf('=');
    const sep = eq !== -1 ? eq : h.indexOf(':');
    const name = sep === -1 ? '' : h.slice(0, sep);
    const addr = sep === -1 ? '' : h.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    if (!name || !addr) throw invalidFlagValue('--add-host', h, `bad format for add-host: "${h}"`);
    if (addr !== 'host-gateway' && !isIpv4(addr) && !IPV6.test(addr)) throw invalidFlagValue('--add-host', h, `invalid IP address in add-host: "${addr}"`);
    o.addHosts.push({ name, ip: addr });
  }
  for (const d of list(parsed, 'dns')) {
    if (!isIpv4(d) && !IPV6.test(d)) throw invalidFlagValue('--dns', d, `IP address is not correctly formatted: ${d}`);
    o.dns.push(d);
  }
  for (const d of list(parsed, 'dns-search')) {
    if (d !== '.' && (!/^\.?[a-zA-Z0-9.-]+$/.test(d) || d.length > 255)) throw invalidFlagValue('--dns-search', d, `${d} is not a valid domain`);
    o.dnsSearch.push(d.replace(/^\./, ''));
  }
  o.dnsOptions = list(parsed, 'dns-option');
  for (const p of list(parsed, 'publish')) o.publish.push(...parsePublish(p));
  for (const e of list(parsed, 'expose')) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(e);
    const lo = Number(m?.[1]);
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw flagError(`invalid range format for --expose: ${e}`);
    for (let port = lo; port <= hi; port++) o.expose.push(`${port}/${(m[3] ?? 'tcp').toLowerCase()}`);
  }
}
