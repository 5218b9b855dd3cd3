import type { MetaStore } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { NO_EVENTS, type EventPublisher } from '../events.ts';
import { allocate, contains, firstHost, formatSubnet, ipToNum, macFor, nextFreePool, overlaps, parseSubnet, type Subnet } from './ipam.ts';
import { DEFAULT_BRIDGE, PREDEFINED, bridgeDevice, type Endpoint, type NetworkInspect, type NetworkRecord } from './records.ts';

const KEY = 'network/';

export interface NetworkCreateOptions {
  driver?: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface NetworkServiceDeps {
  meta: MetaStore;
  events?: EventPublisher;
  now?: () => Date;
  randomId?: () => string;
  /** Takes a removed network's bridge out of the guest (when one runs). */
  onRemoved?: (n: NetworkRecord) => Promise<void>;
}

const err = (code: 'NO_SUCH_NETWORK' | 'CONFLICT' | 'INVALID_NETWORK_CONFIG' | 'NETWORK_IN_USE', message: string, data: Record<string, unknown> = {}) =>
  new TabdockError(code, message, data, { exitCode: code === 'INVALID_NETWORK_CONFIG' || code === 'NO_SUCH_NETWORK' ? 125 : 1 });

/**
 * Docker's networks (`docker network create/ls/inspect/rm/prune`, moby `daemon/network.go`,
 * libnetwork's bridge driver and default IPAM): records in the meta store, the three
 * predefined ones made on first use, a subnet for each bridge network, and the endpoints of
 * running containers, held in memory (Docker frees a stopped container's address; after a
 * restart nothing runs, so nothing is lost).
 */
export class NetworkService {
  /** network id -> container id -> endpoint */
  private readonly endpoints = new Map<string, Map<string, Endpoint>>();
  private ready: Promise<void> | undefined;
  /** A create under way holds this (two creates must not take one subnet). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: NetworkServiceDeps) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private id(): string {
    return this.deps.randomId?.() ?? randomHex(32);
  }

  /** The predefined networks exist (made once per store, with IDs of their own as Docker's). */
  private ensureDefaults(): Promise<void> {
    this.ready ??= (async () => {
      const have = new Set((await this.rawList()).map((n) => n.Name));
      for (const name of PREDEFINED) {
        if (have.has(name)) continue;
        const base = this.base(name, this.id());
        const rec: NetworkRecord = name === 'bridge'
          ? {
            ...base, Driver: 'bridge', IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: DEFAULT_BRIDGE.subnet, Gateway: DEFAULT_BRIDGE.gateway }] },
            // moby's default bridge options, as `docker network inspect bridge` shows them
            Options: {
              'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
              'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
              'com.docker.network.bridge.name': DEFAULT_BRIDGE.device, 'com.docker.network.driver.mtu': '1500',
            },
          }
          : { ...base, Driver: name === 'host' ? 'host' : 'null' };
        await this.deps.meta.put(KEY + rec.Id, rec);
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private base(name: string, id: string): NetworkRecord {
    return {
      Name: name, Id: id, Created: this.now(), Scope: 'local', Driver: 'bridge', EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: [] }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {},
    };
  }

  private async rawList(): Promise<NetworkRecord[]> {
    const out: NetworkRecord[] = [];
    for (const k of await this.deps.meta.keys(KEY)) {
      const n = await this.deps.meta.get<NetworkRecord>(k);
      if (n) out.push(n);
    }
    return out;
  }

  async list(): Promise<NetworkRecord[]> {
    await this.ensureDefaults();
    return this.rawList();
  }

  /** By name, full ID or unique ID prefix (moby `FindNetwork`: an exact name first). */
  async find(ref: string): Promise<NetworkRecord | undefined> {
    const all = await this.list();
    const byName = all.find((n) => n.Name === ref);
    if (byName) return byName;
    const byId = all.filter((n) => n.Id.startsWith(ref));
    return ref.length > 0 && byId.length === 1 ? byId[0] : undefined;
  }

  async get(ref: string): Promise<NetworkRecord> {
    const n = await this.find(ref);
    if (!n) throw err('NO_SUCH_NETWORK', `network ${ref} not found`, { network: ref });
    return n;
  }

  async create(name: string, o: NetworkCreateOptions = {}): Promise<NetworkRecord> {
    const run = this.lock.then(() => this.createLocked(name, o));
    this.lock = run.catch(() => {});
    return run;
  }

  private async createLocked(name: string, o: NetworkCreateOptions): Promise<NetworkRecord> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw err('INVALID_NETWORK_CONFIG', `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { name });
    const driver = o.driver ?? 'bridge';
    if (driver !== 'bridge') throw err('INVALID_NETWORK_CONFIG', `plugin "${driver}" not found`, { driver });
    const all = await this.list();
    if (all.some((n) => n.Name === name)) throw err('CONFLICT', `network with name ${name} already exists`, { name });
    const used = all.flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet)!));
    let subnet: Subnet | undefined;
    if (o.subnet !== undefined) {
      subnet = parseSubnet(o.subnet);
      if (!subnet) throw err('INVALID_NETWORK_CONFIG', `invalid CIDR address: ${o.subnet}`, { subnet: o.subnet });
      if (subnet.prefix > 30) throw err('INVALID_NETWORK_CONFIG', `invalid subnet ${o.subnet}: it has no room for a gateway and a container`, { subnet: o.subnet });
      if (used.some((u) => overlaps(u, subnet!))) throw err('INVALID_NETWORK_CONFIG', 'invalid pool request: Pool overlaps with other one on this address space', { subnet: o.subnet });
    } else {
      if (o.gateway !== undefined) throw err('INVALID_NETWORK_CONFIG', 'every ip-range or gateway must have a corresponding subnet');
      subnet = nextFreePool(used);
      if (!subnet) throw err('INVALID_NETWORK_CONFIG', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    }
    let gateway = firstHost(subnet);
    if (o.gateway !== undefined) {
      const g = ipToNum(o.gateway);
      if (g === undefined) throw err('INVALID_NETWORK_CONFIG', `invalid gateway address ${o.gateway}`, { gateway: o.gateway });
      if (!contains(subnet, g)) throw err('INVALID_NETWORK_CONFIG', `no matching subnet for gateway ${o.gateway}`, { gateway: o.gateway });
      gateway = o.gateway;
    }
    const rec: NetworkRecord = {
      ...this.base(name, this.id()),
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: formatSubnet(subnet), Gateway: gateway }] },
      Internal: o.internal ?? false, Labels: o.labels ?? {},
    };
    await this.deps.meta.put(KEY + rec.Id, rec);
    this.publish('create', rec);
    return rec;
  }

  private publish(action: 'create' | 'destroy', n: NetworkRecord): void;
  private publish(action: 'connect' | 'disconnect', n: NetworkRecord, container: string): void;
  private publish(action: 'create' | 'destroy' | 'connect' | 'disconnect', n: NetworkRecord, container?: string): void {
    const base = { type: 'network' as const, id: n.Id, name: n.Name, time: this.now() };
    (this.deps.events ?? NO_EVENTS).publish(action === 'connect' || action === 'disconnect' ? { ...base, action, container: container! } : { ...base, action: action as 'create' | 'destroy' });
  }

  /** Live endpoints on a network (running containers). */
  endpointsOf(networkId: string): Endpoint[] {
    return [...(this.endpoints.get(networkId)?.values() ?? [])];
  }

  /** The running container that has address `ip` on any network. */
  ownerOf(ip: string): string | undefined {
    for (const eps of this.endpoints.values()) for (const e of eps.values()) if (e.ip === ip) return e.containerId;
    return undefined;
  }

  /**
   * An address on network `n` for a starting (or connecting) container: `ip` as asked
   * (`--ip`: in the subnet and free), else the lowest free one (libnetwork's default IPAM).
   */
  attach(n: NetworkRecord, c: { id: string; name: string; ip?: string; aliases: string[] }): Endpoint {
    const cfg = n.IPAM.Config[0];
    if (n.Driver !== 'bridge' || !cfg) throw err('INVALID_NETWORK_CONFIG', `network ${n.Name} has no addresses to give a container`);
    const subnet = parseSubnet(cfg.Subnet)!;
    const eps = this.endpoints.get(n.Id) ?? new Map<string, Endpoint>();
    const had = eps.get(c.id);
    if (had) return had;
    const taken = new Set([cfg.Gateway, ...[...eps.values()].map((e) => e.ip)]);
    let ip = c.ip;
    if (ip !== undefined) {
      const num = ipToNum(ip);
      if (num === undefined || !contains(subnet, num)) throw err('INVALID_NETWORK_CONFIG', `Invalid address ${ip}: It does not belong to any of this network's subnets`, { ip });
      if (taken.has(ip)) throw err('INVALID_NETWORK_CONFIG', `Address already in use`, { ip });
    } else {
      ip = allocate(subnet, taken);
      if (!ip) throw err('INVALID_NETWORK_CONFIG', `no available IPv4 addresses on this network's address pools: ${n.Name} (${n.Id})`);
    }
    const e: Endpoint = { containerId: c.id, name: c.name, endpointId: this.id(), ip, prefix: subnet.prefix, mac: macFor(ip), gateway: cfg.Gateway, aliases: c.aliases };
    eps.set(c.id, e);
    this.endpoints.set(n.Id, eps);
    this.publish('connect', n, c.id);
    return e;
  }

  /** `docker rename`: the container's endpoints answer (DNS, `network inspect`) to its new name. */
  renameContainer(containerId: string, name: string): void {
    for (const eps of this.endpoints.values()) {
      const e = eps.get(containerId);
      if (e) eps.set(containerId, { ...e, name });
    }
  }

  /** Frees the container's address on network `n` (its stop, or `network disconnect`). */
  detach(n: NetworkRecord, containerId: string): void {
    const eps = this.endpoints.get(n.Id);
    if (!eps?.delete(containerId)) return;
    if (eps.size === 0) this.endpoints.delete(n.Id);
    this.publish('disconnect', n, containerId);
  }

  inspect(n: NetworkRecord): NetworkInspect {
    const Containers = Object.fromEntries(this.endpointsOf(n.Id).map((e) => [e.containerId, {
      Name: e.name, EndpointID: e.endpointId, MacAddress: e.mac, IPv4Address: `${e.ip}/${e.prefix}`, IPv6Address: '',
    }]));
    return { ...n, Containers };
  }

  async remove(ref: string): Promise<NetworkRecord> {
    const n = await this.get(ref);
    if ((PREDEFINED as readonly string[]).includes(n.Name)) throw err('CONFLICT', `${n.Name} is a pre-defined network and cannot be removed`, { network: n.Name });
    if (this.endpointsOf(n.Id).length) throw err('NETWORK_IN_USE', `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, { network: n.Name });
    await this.deps.onRemoved?.(n);
    await this.deps.meta.delete(KEY + n.Id);
    this.publish('destroy', n);
    return n;
  }

  /** `docker network prune`: user networks with no running container on them. */
  async prune(): Promise<string[]> {
    const gone: string[] = [];
    for (const n of await this.list()) {
      if ((PREDEFINED as readonly string[]).includes(n.Name) || this.endpointsOf(n.Id).length) continue;
      await this.remove(n.Id);
      gone.push(n.Name);
    }
    return gone.sort();
  }
}

export { bridgeDevice };

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
