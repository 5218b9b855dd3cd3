/**
 * A network as Docker's API shows it (`docker network inspect`, moby `api/types/network`
 * `Inspect`), kept in the meta store under `network/<id>` as volumes are, so the record
 * is what `inspect` prints (plus `Containers`, filled from the live endpoints).
 */
export interface IpamConfig {
  Subnet: string;
  Gateway: string;
}

export interface NetworkRecord {
  Name: string;
  /** 64 hex */
  Id: string;
  Created: string;
  Scope: 'local';
  /** `bridge` for the default and user networks; `host` and `null` for the two predefined others. */
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: false;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** One container's place on a network while it runs (libnetwork's endpoint). */
export interface Endpoint {
  containerId: string;
  /** The container's name, without the leading slash. */
  name: string;
  /** 64 hex, new at every start as Docker's. */
  endpointId: string;
  ip: string;
  prefix: number;
  mac: string;
  gateway: string;
  /** `--network-alias` / `network connect --alias` (user networks only, as Docker). */
  aliases: string[];
}

/** `docker network inspect`'s `Containers` entry. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

export type NetworkInspect = NetworkRecord & { Containers: Record<string, NetworkContainer> };

/** The default bridge's name in Docker (`docker0`) and its address plan. */
export const DEFAULT_BRIDGE = { name: 'bridge', device: 'docker0', subnet: '172.17.0.0/16', gateway: '172.17.0.1' } as const;

/** The Linux bridge device of a network: docker0 for the default, `br-` + 12 hex of the ID otherwise (libnetwork's names). */
export function bridgeDevice(n: Pick<NetworkRecord, 'Id' | 'Name'>): string {
  return n.Name === DEFAULT_BRIDGE.name ? DEFAULT_BRIDGE.device : `br-${n.Id.slice(0, 12)}`;
}

/** Docker's three predefined networks (none of them can be removed). */
export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/** Whether names on this network resolve through the embedded DNS (user-defined bridge networks). */
export const isUserNetwork = (n: Pick<NetworkRecord, 'Name' | 'Driver'>) => n.Driver === 'bridge' && n.Name !== DEFAULT_BRIDGE.name;

/** `docker network ls` / the contract's list entry. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created: string;
  Internal: boolean;
  Labels: Record<string, string>;
}
