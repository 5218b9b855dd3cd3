import { TabdockError } from '../../shared/errors.ts';
import type { ContainerService } from '../containers/service.ts';
import type { Runtimes } from '../containers/runtimes.ts';
import { configError } from '../spec/errors.ts';
import { isIpv4 } from '../spec/network-flags.ts';
import type { ContainerNetworking } from './container-net.ts';
import type { NetworkCreateOptions, NetworkService } from './networks.ts';
import { isUserNetwork, type NetworkInspect, type NetworkSummary } from './records.ts';
import { emptyEndpoint, emptySettings } from './settings.ts';

/** Networks on the RPC contract (`docker network ...`). */
export interface NetworkApi {
  /** `docker network create`: the new network's ID. */
  createNetwork(name: string, opts: NetworkCreateOptions): Promise<{ Id: string; Warning: string }>;
  listNetworks(): Promise<NetworkSummary[]>;
  /** `undefined` for a name or ID that is no network. */
  inspectNetworks(refs: string[]): Promise<(NetworkInspect | undefined)[]>;
  removeNetwork(ref: string): Promise<void>;
  /** User networks no running container is on; their names. */
  pruneNetworks(): Promise<{ deleted: string[] }>;
  connectNetwork(network: string, container: string, opts: { aliases?: string[]; ip?: string }): Promise<void>;
  disconnectNetwork(network: string, container: string, opts: { force?: boolean }): Promise<void>;
}

/** The network half of the contract, over the network service, the containers and the runtimes (moby `daemon/network.go`). */
export class EngineNetworks implements NetworkApi {
  constructor(private readonly networks: NetworkService, private readonly net: ContainerNetworking, private readonly containers: ContainerService, private readonly runtimes: Runtimes) {}

  async createNetwork(name: string, opts: NetworkCreateOptions) {
    const n = await this.networks.create(name, opts);
    return { Id: n.Id, Warning: '' };
  }

  async listNetworks(): Promise<NetworkSummary[]> {
    return (await this.networks.list()).map((n) => ({ Id: n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Created: n.Created, Internal: n.Internal, Labels: n.Labels }));
  }

  async inspectNetworks(refs: string[]) {
    const out: (NetworkInspect | undefined)[] = [];
    for (const r of refs) {
      const n = await this.networks.find(r);
      out.push(n ? this.networks.inspect(n) : undefined);
    }
    return out;
  }

  async removeNetwork(ref: string) {
    await this.networks.remove(ref);
  }

  async pruneNetworks() {
    return { deleted: await this.networks.prune() };
  }

  async connectNetwork(network: string, container: string, opts: { aliases?: string[]; ip?: string }) {
    const n = await this.networks.get(network);
    const c = await this.containers.store.find(container);
    if (n.Driver !== 'bridge') throw new TabdockError('CONFLICT', `container cannot be disconnected from host network or connected to host network`, {});
    const mode = c.HostConfig.NetworkMode;
    if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) {
      throw new TabdockError('CONFLICT', `container sharing network namespace with another container or host cannot be connected to any other network`, {});
    }
    const settings = c.NetworkSettings ?? emptySettings();
    if (settings.Networks[n.Name]) throw new TabdockError('CONFLICT', `endpoint with name ${c.Name.slice(1)} already exists in network ${n.Name}`, {});
    if (opts.ip !== undefined && !isIpv4(opts.ip)) throw configError(`invalid IPv4 address: ${opts.ip}`);
    if (!isUserNetwork(n) && (opts.ip || opts.aliases?.length)) {
      throw configError(opts.ip ? 'user specified IP address is supported on user defined networks only' : 'network-scoped alias is supported only for containers in user defined networks');
    }
    const es = emptyEndpoint(n.Id, { ...(opts.ip ? { ip: opts.ip } : {}), aliases: opts.aliases ?? [] });
    if (this.containers.isRunning(c.Id)) {
      const live = await this.net.connectRunning(c, n, es);
      if (live) {
        try {
          const rt = await this.runtimes.runtime(this.runtimes.forContainer(c));
          if (!rt.attachEndpoint) throw new TabdockError('UNSUPPORTED', `the ${c.Driver} runtime cannot connect a running container to a network`, {});
          await rt.attachEndpoint(c.Id, live.planned, live.dns);
          if (live.dns) this.net.commitDns(c.Id, live.dns.resolvConf);
        } catch (e) {
          this.net.disconnectRunning(c.Id, n);
          throw e;
        }
        settings.Networks[n.Name] = live.settings;
      }
    } else settings.Networks[n.Name] = es;
    c.NetworkSettings = settings;
    await this.containers.store.save(c);
  }

  async disconnectNetwork(network: string, container: string, _opts: { force?: boolean }) {
    const n = await this.networks.get(network);
    const c = await this.containers.store.find(container);
    const settings = c.NetworkSettings;
    if (!settings?.Networks[n.Name]) throw new TabdockError('CONFLICT', `container ${c.Id} is not connected to network ${n.Name}`, {});
    const ifname = this.net.disconnectRunning(c.Id, n);
    if (ifname) {
      const rt = await this.runtimes.runtime(this.runtimes.forContainer(c));
      await rt.detachEndpoint?.(c.Id, ifname);
    }
    delete settings.Networks[n.Name];
    await this.containers.store.save(c);
  }
}
