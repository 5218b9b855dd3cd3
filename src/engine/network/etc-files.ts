/**
 * `/etc/hosts`, `/etc/resolv.conf` and `/etc/hostname` as Docker writes them for a
 * container (libnetwork `etchosts`, `resolvconf`; moby `daemon/container_operations.go`),
 * bound into the container from its bundle directory as Docker binds them from its own.
 */
export interface EtcFilesInput {
  hostname: string;
  /** The container's address on its first network (none with --network none/host). */
  ip?: string;
  /** `--add-host NAME:IP` in order, `host-gateway` already replaced by the gateway. */
  extraHosts: Array<{ name: string; ip: string }>;
  /** On a user-defined network: the embedded DNS at 127.0.0.11. */
  embeddedDns: boolean;
  /** What answers DNS otherwise (the default bridge's gateway: the guest relays UDP/53 sent anywhere). */
  nameservers: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

/** libnetwork etchosts' defaults. */
const HOSTS_DEFAULT = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export function hostsFile(i: Pick<EtcFilesInput, 'hostname' | 'ip' | 'extraHosts'>): string {
  const lines = [...HOSTS_DEFAULT, ...i.extraHosts.map((h) => `${h.ip}\t${h.name}`)];
  if (i.ip) lines.push(`${i.ip}\t${i.hostname}`);
  return `${lines.join('\n')}\n`;
}

/**
 * On a user network Docker writes `nameserver 127.0.0.11` and `options ndots:0`, and the
 * embedded DNS forwards what it does not know (to `--dns` servers, or the host's); on the
 * default bridge the `--dns` servers, else the host's resolvers (here: the gateway, where
 * the guest's relay takes every UDP/53 query to the link's resolver).
 */
export function resolvConf(i: Pick<EtcFilesInput, 'embeddedDns' | 'nameservers' | 'dns' | 'dnsSearch' | 'dnsOptions'>): string {
  const lines: string[] = [];
  if (i.dnsSearch.length) lines.push(`search ${i.dnsSearch.join(' ')}`);
  if (i.embeddedDns) {
    lines.push('nameserver 127.0.0.11');
    // the servers the embedded DNS forwards to (libnetwork writes them as this comment)
    if (i.dns.length) lines.push(`# ExtServers: [${i.dns.join(' ')}]`);
  } else for (const ns of i.dns.length ? i.dns : i.nameservers) lines.push(`nameserver ${ns}`);
  // libnetwork adds ndots:0 for the embedded DNS unless an ndots option was given
  const options = i.embeddedDns && !i.dnsOptions.some((o) => o.startsWith('ndots:')) ? ['ndots:0', ...i.dnsOptions] : i.dnsOptions;
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export const hostnameFile = (hostname: string) => `${hostname}\n`;
