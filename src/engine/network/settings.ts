/** `NetworkSettings` of `docker inspect` (moby `api/types` `NetworkSettings`, `EndpointSettings`), kept in the container record. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address: string } | null;
  Links: null;
  Aliases: string[] | null;
  MacAddress: string;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: PortMap;
  /** The default bridge's address (Docker fills these three for the default bridge only). */
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

export function emptyEndpoint(networkId: string, o: { ip?: string; aliases?: string[]; mac?: string } = {}): EndpointSettings {
  return {
    IPAMConfig: o.ip ? { IPv4Address: o.ip } : null, Links: null, Aliases: o.aliases?.length ? o.aliases : null, MacAddress: o.mac ?? '',
    NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

export function emptySettings(networks: Record<string, EndpointSettings> = {}): NetworkSettings {
  return { Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Networks: networks };
}

/** What a stopped container shows: its networks kept, every address gone (Docker frees them). */
export function stoppedSettings(s: NetworkSettings | undefined): NetworkSettings {
  const networks = Object.fromEntries(Object.entries(s?.Networks ?? {}).map(([name, e]) => [name, {
    ...emptyEndpoint(e.NetworkID, { ...(e.IPAMConfig?.IPv4Address ? { ip: e.IPAMConfig.IPv4Address } : {}), ...(e.Aliases ? { aliases: e.Aliases } : {}) }),
  }]));
  return emptySettings(networks);
}
