import type { GuestSocket } from '../../emulator/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ContainerRecord } from '../containers/record.ts';
import { configError } from '../spec/errors.ts';
import type { RunOptions } from '../spec/run-options.ts';
import { EmbeddedDns } from './dns.ts';
import { contains, ipToNum, parseSubnet } from './ipam.ts';
import { hostnameFile, hostsFile, resolvConf } from './etc-files.ts';
import type { NetworkLink } from './link.ts';
import type { NetworkService } from './networks.ts';
import { netnsId, type NetworkPlan, type PlannedEndpoint } from './plan.ts';
import type { PortPublisher, PublishedPort } from './ports.ts';
import { DEFAULT_BRIDGE, bridgeDevice, isUserNetwork, type Endpoint, type NetworkRecord } from './records.ts';
import { emptyEndpoint, emptySettings, stoppedSettings, type EndpointSettings, type NetworkSettings, type PortMap } from './settings.ts';

/** What `create` records of the network flags (HostConfig and Config fields, Docker's names). */
export interface CreateNetworkFields {
  NetworkMode: string;
  PortBindings: PortMap;
  PublishAllPorts: boolean;
  ExtraHosts: string[] | null;
  Dns: string[];
  DnsSearch: string[];
  DnsOptions: string[];
  ExposedPorts: Record<string, object> | undefined;
  NetworkSettings: NetworkSettings;
}

export interface ContainerNetworkingDeps {
  networks: NetworkService;
  link?: NetworkLink;
  ports?: PortPublisher;
  /** A container by name or ID (for `--network container:X`). */
  findContainer(ref: string): Promise<ContainerRecord>;
  isRunning(id: string): boolean;
}

interface Active {
  plan: NetworkPlan;
  ports: PublishedPort[];
  endpoints: Array<{ network: NetworkRecord; endpoint: Endpoint }>;
}

/** One container's network, from create to exit (moby `daemon/container_operations.go`, `allocateNetwork`, `releaseNetwork`). */
export class ContainerNetworking {
  private readonly active = new Map<string, Active>();
  /** `--dns` of running containers. */
  private readonly dnsServers = new Map<string, string[]>();
  /** Every bridge gateway seen (the host side of the link: `host-gateway`). */
  private readonly gateways = new Set<string>([DEFAULT_BRIDGE.gateway]);
  readonly dns: EmbeddedDns;

  constructor(private readonly deps: ContainerNetworkingDeps) {
    this.dns = new EmbeddedDns((ns, name) => this.lookup(ns, name), (q, from) => this.forward(q, from));
  }

  get link(): NetworkLink | undefined {
    return this.deps.link;
  }

  isGateway(ip: string): boolean {
    return this.gateways.has(ip);
  }

  /**
   * Checks the network flags against the engine's networks (Docker's daemon-side checks, at
   * create) and returns what the record keeps. `networking`: whether the runtime has any
   * (the WASI runtime has none: only `--network none`, and no ports).
   */
  async forCreate(o: RunOptions, imageExposed: string[], networking: boolean): Promise<CreateNetworkFields> {
    const mode = o.network === 'default' ? 'bridge' : o.network;
    const exposed = [...new Set([...imageExposed.map(normPort), ...o.expose, ...o.publish.flatMap((p) => expandPorts(p.containerPort).map((n) => `${n}/${p.protocol}`))])];
    const base = {
      PortBindings: {} as PortMap, PublishAllPorts: o.publishAll, ExtraHosts: o.addHosts.length ? o.addHosts.map((h) => `${h.name}:${h.ip}`) : null,
      Dns: o.dns, DnsSearch: o.dnsSearch, DnsOptions: o.dnsOptions, ExposedPorts: exposed.length ? Object.fromEntries(exposed.map((p) => [p, {}])) : undefined,
    };
    if (!networking) {
      if (o.network !== 'default' && o.network !== 'none') throw configError(`--network ${o.network} is not available for a WebAssembly container: a WASI (preview 1) module has no sockets`, 'UNSUPPORTED');
      if (o.publish.length || o.publishAll) throw configError('-p/--publish is not available for a WebAssembly container: a WASI (preview 1) module has no sockets', 'UNSUPPORTED');
      return { ...base, NetworkMode: 'none', NetworkSettings: emptySettings() };
    }
    const publishes = o.publish.length > 0 || o.publishAll;
    const joined = mode.startsWith('container:');
    if (joined) {
      const what = o.hostname !== undefined ? 'hostname' : o.addHosts.length ? 'custom host-to-IP mapping' : o.dns.length || o.dnsSearch.length || o.dnsOptions.length ? 'dns' : publishes ? 'port publishing' : o.macAddress ? 'mac-address' : undefined;
      if (what) throw configError(`conflicting options: ${what} and the network mode`);
      await this.deps.findContainer(mode.slice('container:'.length));
    }
    if ((mode === 'none' || mode === 'host') && publishes) throw configError(`conflicting options: port publishing and the ${mode} network mode (a container there has no address to forward to)`);
    if (o.dns.length && !this.deps.link?.resolveVia) throw configError('--dns is not available here: this engine\'s network link resolves names itself and cannot ask another server', 'UNSUPPORTED');
    for (const p of o.publish) if (p.protocol !== 'tcp') throw configError(`publishing ${p.protocol} ports is not supported: the guest carries TCP streams only (-p ${p.containerPort}/${p.protocol})`, 'UNSUPPORTED');
    if (publishes && !this.deps.ports) throw configError('publishing ports (-p, -P) is not available here: this engine has no port publisher', 'UNSUPPORTED');
    const bindings: PortMap = {};
    for (const p of o.publish) {
      const cports = expandPorts(p.containerPort);
      const hports = p.hostPort ? expandPorts(p.hostPort) : [];
      if (hports.length > 1 && hports.length !== cports.length) throw configError(`Invalid ranges specified for container and host Ports: ${p.containerPort} and ${p.hostPort}`);
      cports.forEach((cp, i) => {
        const key = `${cp}/${p.protocol}`;
        (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: hports.length ? String(hports[hports.length > 1 ? i : 0]) : '' });
      });
    }
    const networks: Record<string, EndpointSettings> = {};
    if (mode !== 'none' && mode !== 'host' && !joined) {
      const n = await this.deps.networks.get(mode);
      if (n.Driver !== 'bridge') throw configError(`network ${n.Name} cannot be joined by name: use --network ${n.Driver === 'null' ? 'none' : 'host'}`);
      if (!isUserNetwork(n)) {
        if (o.ip) throw configError('user specified IP address is supported on user defined networks only');
        if (o.networkAliases.length) throw configError('network-scoped alias is supported only for containers in user defined networks');
      }
      networks[n.Name] = emptyEndpoint(n.Id, { ...(o.ip ? { ip: o.ip } : {}), aliases: o.networkAliases, ...(o.macAddress ? { mac: o.macAddress } : {}) });
      if (o.ip) this.checkIp(n, o.ip);
    } else if (o.ip || o.networkAliases.length || o.macAddress) {
      throw configError(`${o.ip ? '--ip' : o.macAddress ? '--mac-address' : '--network-alias'} needs a bridge network; --network ${mode} has none`);
    } else if (mode === 'none' || mode === 'host') {
      const n = await this.deps.networks.get(mode);
      networks[n.Name] = emptyEndpoint(n.Id);
    }
    return { ...base, NetworkMode: mode, PortBindings: bindings, NetworkSettings: emptySettings(networks) };
  }

  /** `--ip` must be in the network's subnet (Docker checks it at create; the allocation at start checks it is free). */
  private checkIp(n: NetworkRecord, ip: string): void {
    const subnet = n.IPAM.Config[0] && parseSubnet(n.IPAM.Config[0].Subnet);
    const num = ipToNum(ip);
    if (subnet && (num === undefined || !contains(subnet, num))) {
      throw new TabdockError('INVALID_NETWORK_CONFIG', `Invalid address ${ip}: It does not belong to any of this network's subnets`, { ip }, { exitCode: 125 });
    }
  }

  /**
   * Before the runtime starts the container: an address on each of its networks, the
   * files Docker writes, the plan for the runtime, and its published ports bound (a port
   * that is taken fails the start here, as Docker's does, with nothing left behind).
   */
  async setUp(c: ContainerRecord, open: (ip: string, port: number) => Promise<GuestSocket>): Promise<{ plan: NetworkPlan; settings: NetworkSettings }> {
    await this.tearDown(c.Id); // a stale one (a start that failed half-way)
    const mode = c.HostConfig.NetworkMode;
    const o = c.RunOptions;
    const hostname = c.Config.Hostname;
    const extra = o.addHosts.map((h) => ({ name: h.name, ip: h.ip === 'host-gateway' ? DEFAULT_BRIDGE.gateway : h.ip }));
    const settings = stoppedSettings(c.NetworkSettings);
    const a: Active = { plan: undefined!, ports: [], endpoints: [] };
    this.active.set(c.Id, a);
    if (o.dns.length) this.dnsServers.set(c.Id, o.dns);
    try {
      if (mode.startsWith('container:')) {
        const other = await this.deps.findContainer(mode.slice('container:'.length));
        const theirs = this.active.get(other.Id);
        if (!this.deps.isRunning(other.Id) || !theirs) throw configError(`cannot join network of a non running container: ${other.Id}`);
        if (theirs.plan.mode === 'container' || theirs.plan.mode === 'host') throw configError(`cannot join the network of container ${other.Name.slice(1)}: it shares another's network itself`);
        a.plan = { ...theirs.plan, mode: 'container', endpoints: [] };
        return { plan: a.plan, settings };
      }
      const endpoints: PlannedEndpoint[] = [];
      if (mode !== 'none' && mode !== 'host') {
        let i = 0;
        for (const [name, es] of Object.entries(settings.Networks)) {
          const n = await this.deps.networks.find(es.NetworkID) ?? await this.deps.networks.find(name);
          if (!n) throw new TabdockError('NO_SUCH_NETWORK', `network ${name} not found`, { network: name }, { exitCode: 125 });
          const first = i === 0;
          const e = this.deps.networks.attach(n, { id: c.Id, name: c.Name.slice(1), ...(es.IPAMConfig?.IPv4Address ? { ip: es.IPAMConfig.IPv4Address } : {}), aliases: isUserNetwork(n) ? es.Aliases ?? [] : [] });
          if (first && o.macAddress) e.mac = o.macAddress;
          a.endpoints.push({ network: n, endpoint: e });
          this.gateways.add(e.gateway);
          const cfg = n.IPAM.Config[0]!;
          endpoints.push({ bridge: bridgeDevice(n), subnet: cfg.Subnet, gateway: cfg.Gateway, internal: n.Internal, ifname: `eth${i}`, ip: e.ip, prefix: e.prefix, mac: e.mac, defaultRoute: first });
          settings.Networks[n.Name] = {
            ...es, NetworkID: n.Id, EndpointID: e.endpointId, Gateway: e.gateway, IPAddress: e.ip, IPPrefixLen: e.prefix, MacAddress: e.mac,
            DNSNames: isUserNetwork(n) ? [c.Name.slice(1), c.Id.slice(0, 12), ...(es.Aliases ?? [])] : null,
          };
          if (n.Name === DEFAULT_BRIDGE.name) Object.assign(settings, { IPAddress: e.ip, IPPrefixLen: e.prefix, Gateway: e.gateway, MacAddress: e.mac });
          i++;
        }
      }
      const user = a.endpoints.some((x) => isUserNetwork(x.network));
      a.plan = {
        mode: mode === 'none' || mode === 'host' ? mode : 'bridge', netns: netnsId(c.Id), dns: user, endpoints,
        files: {
          hosts: hostsFile({ hostname, ...(endpoints[0] ? { ip: endpoints[0].ip } : {}), extraHosts: extra }),
          resolvConf: resolvConf({ embeddedDns: user, nameservers: [endpoints[0]?.gateway ?? DEFAULT_BRIDGE.gateway], dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions }),
          hostname: hostnameFile(hostname),
        },
      };
      settings.SandboxID = c.Id;
      settings.SandboxKey = `/run/netns/${netnsId(c.Id)}`;
      settings.Ports = await this.publish(c, a, endpoints[0]?.ip, open);
      return { plan: a.plan, settings };
    } catch (e) {
      await this.tearDown(c.Id);
      throw e;
    }
  }

  private async publish(c: ContainerRecord, a: Active, ip: string | undefined, open: (ip: string, port: number) => Promise<GuestSocket>): Promise<PortMap> {
    const ports: PortMap = Object.fromEntries(Object.keys(c.Config.ExposedPorts ?? {}).map((k) => [k, null]));
    const wanted = Object.entries(c.HostConfig.PortBindings ?? {}).flatMap(([k, bs]) => (bs ?? []).map((b) => ({ key: k, hostIp: b.HostIp, hostPort: b.HostPort })));
    if (c.HostConfig.PublishAllPorts) for (const k of Object.keys(c.Config.ExposedPorts ?? {})) if (!c.HostConfig.PortBindings?.[k]) wanted.push({ key: k, hostIp: '', hostPort: '' });
    if (!wanted.length) return ports;
    if (!ip || !this.deps.ports) throw configError('published ports need a bridge network and a port publisher');
    for (const w of wanted) {
      const [port, proto] = w.key.split('/') as [string, 'tcp' | 'udp'];
      const hostIp = w.hostIp || '0.0.0.0';
      try {
        const p = await this.deps.ports.publish({ hostIp, hostPort: Number(w.hostPort || 0), protocol: proto, container: c.Id, containerPort: Number(port) }, () => open(ip, Number(port)));
        a.ports.push(p);
        (ports[w.key] ??= []).push({ HostIp: hostIp, HostPort: String(p.hostPort) });
      } catch (e) {
        if (TabdockError.is(e, 'PORT_ALLOCATED')) {
          const ep = a.endpoints[0]?.endpoint.endpointId ?? '';
          throw new TabdockError('PORT_ALLOCATED', `driver failed programming external connectivity on endpoint ${c.Name.slice(1)} (${ep}): ${e.message}`, e.data, { exitCode: 125 });
        }
        throw e;
      }
    }
    return ports;
  }

  /** The container stopped (or its start failed): listeners closed, addresses freed. */
  async tearDown(id: string): Promise<void> {
    const a = this.active.get(id);
    if (!a) return;
    this.active.delete(id);
    this.dnsServers.delete(id);
    await Promise.allSettled(a.ports.map((p) => p.close()));
    for (const { network } of a.endpoints) this.deps.networks.detach(network, id);
  }

  /**
   * `docker network connect` on a running container: its address on `n` and the interface
   * to add (eth<n>). Joining its first user network also gives it the embedded DNS, as
   * libnetwork starts the sandbox's resolver then and rebuilds its resolv.conf: `dns` is the
   * file to write in its place, in it and in the containers sharing its namespace
   * (`--network container:`, which Docker points at the owner's file); `commitDns` records
   * it once the runtime has done it.
   */
  async connectRunning(c: ContainerRecord, n: NetworkRecord, es: EndpointSettings): Promise<{ planned: PlannedEndpoint; settings: EndpointSettings; dns?: { resolvConf: string; sharers: string[] } } | undefined> {
    const a = this.active.get(c.Id);
    if (!a || a.plan.mode !== 'bridge') return undefined;
    const e = this.deps.networks.attach(n, { id: c.Id, name: c.Name.slice(1), ...(es.IPAMConfig?.IPv4Address ? { ip: es.IPAMConfig.IPv4Address } : {}), aliases: es.Aliases ?? [] });
    a.endpoints.push({ network: n, endpoint: e });
    this.gateways.add(e.gateway);
    const cfg = n.IPAM.Config[0]!;
    const used = new Set(a.plan.endpoints.map((p) => p.ifname));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const planned: PlannedEndpoint = { bridge: bridgeDevice(n), subnet: cfg.Subnet, gateway: cfg.Gateway, internal: n.Internal, ifname: `eth${i}`, ip: e.ip, prefix: e.prefix, mac: e.mac, defaultRoute: false };
    a.plan.endpoints.push(planned);
    let dns: { resolvConf: string; sharers: string[] } | undefined;
    if (isUserNetwork(n) && !a.plan.dns) {
      const o = c.RunOptions;
      const resolv = resolvConf({ embeddedDns: true, nameservers: [], dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions });
      dns = { resolvConf: resolv, sharers: this.sharersOf(c.Id) };
    }
    return {
      planned,
      ...(dns ? { dns } : {}),
      settings: { ...es, NetworkID: n.Id, EndpointID: e.endpointId, Gateway: e.gateway, IPAddress: e.ip, IPPrefixLen: e.prefix, MacAddress: e.mac, DNSNames: isUserNetwork(n) ? [c.Name.slice(1), c.Id.slice(0, 12), ...(es.Aliases ?? [])] : null },
    };
  }

  /** The runtime gave container `id` (and its sharers) the embedded DNS and this resolv.conf. */
  commitDns(id: string, resolv: string): void {
    for (const x of [id, ...this.sharersOf(id)]) {
      const a = this.active.get(x);
      if (a) a.plan = { ...a.plan, dns: true, files: { ...a.plan.files, resolvConf: resolv } };
    }
  }

  /** Running containers that share `id`'s network namespace (`--network container:`). */
  private sharersOf(id: string): string[] {
    const ns = netnsId(id);
    return [...this.active].filter(([x, a]) => x !== id && a.plan?.mode === 'container' && a.plan.netns === ns).map(([x]) => x);
  }

  /** `docker network disconnect` on a running container: its interface on `n`, or undefined when it has none. */
  disconnectRunning(id: string, n: NetworkRecord): string | undefined {
    const a = this.active.get(id);
    if (!a) return undefined;
    const i = a.endpoints.findIndex((x) => x.network.Id === n.Id);
    if (i === -1) return undefined;
    a.endpoints.splice(i, 1);
    this.deps.networks.detach(n, id);
    const bridge = bridgeDevice(n);
    const p = a.plan.endpoints.findIndex((x) => x.bridge === bridge);
    const [gone] = p === -1 ? [] : a.plan.endpoints.splice(p, 1);
    return gone?.ifname;
  }

  /**
   * A query the embedded DNS does not answer: to the asking container's `--dns` servers in
   * order (as Docker's resolver forwards to them), else to the link's resolver. The asker is
   * known by its namespace (127.0.0.11) or, for the guest's root relay, by its address.
   */
  private async forward(q: Uint8Array, from: { ns: string; src: string }): Promise<Uint8Array> {
    const link = this.deps.link;
    if (!link) throw new Error('no link to forward to');
    const owner = from.ns
      ? [...this.active.keys()].find((id) => netnsId(id) === from.ns)
      : this.deps.networks.ownerOf(from.src);
    const servers = owner ? (this.dnsServers.get(owner) ?? []) : [];
    let last: unknown;
    if (link.resolveVia) {
      for (const s of servers) {
        try {
          return await link.resolveVia(q, s);
        } catch (e) {
          last = e;
        }
      }
    }
    if (servers.length && last) throw last;
    return link.resolve(q);
  }

  /** Names on the user networks the asking container (`ns`, its ID) is on: containers, aliases, short IDs (none from the default bridge, as Docker's). */
  private lookup(ns: string, name: string): string[] | undefined {
    const owner = [...this.active.keys()].find((id) => netnsId(id) === ns);
    const mine = owner ? this.active.get(owner)?.endpoints : undefined;
    if (!mine) return undefined;
    const q = name.toLowerCase();
    const out: string[] = [];
    for (const { network } of mine) {
      if (!isUserNetwork(network)) continue;
      for (const e of this.deps.networks.endpointsOf(network.Id)) {
        if (e.name.toLowerCase() === q || e.aliases.some((x) => x.toLowerCase() === q) || (q.length === 12 && e.containerId.startsWith(q))) out.push(e.ip);
      }
    }
    return out.length ? [...new Set(out)] : undefined;
  }

  /** `docker rename` of a container: its endpoints take the new name. */
  renamed(id: string, name: string): void {
    this.deps.networks.renameContainer(id, name);
  }

  /** The published ports of a running container (for `ps`), as bound. */
  published(id: string): boolean {
    return (this.active.get(id)?.ports.length ?? 0) > 0;
  }
}

/** `80`, `8000-8002` -> the ports. */
function expandPorts(s: string): number[] {
  const [lo, hi] = s.split('-').map(Number) as [number, number | undefined];
  const out: number[] = [];
  for (let p = lo; p <= (hi ?? lo); p++) out.push(p);
  return out;
}

/** An image's EXPOSE key (`80`, `80/tcp`) in Docker's form. */
function normPort(k: string): string {
  return k.includes('/') ? k.toLowerCase() : `${k}/tcp`;
}
