import type { AgentClient } from '../../emulator/index.ts';

/**
 * What a runtime is handed at a container's start to give it its network (platform
 * neutral: the engine decides, the guest runtime carries it out with the agent's
 * netns-create / net-create / net-attach; kernel/README.md "Networking").
 */
export interface PlannedEndpoint {
  /** The Linux bridge (docker0, br-<12 hex>) and its network's settings, for an idempotent net-create. */
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** eth0, eth1, ... in the order the container joined its networks. */
  ifname: string;
  ip: string;
  prefix: number;
  mac: string;
  /** The first network carries the default route (Docker: the first endpoint is the gateway one). */
  defaultRoute: boolean;
}

/** A container's namespace id in the guest: the first 32 hex of its ID (DGRAMs name it; netnsOwner maps it back). */
export const netnsId = (containerId: string) => containerId.slice(0, 32);

export interface NetworkPlan {
  /** none: its own namespace with lo only; host: the guest's root namespace; container: another's. */
  mode: 'none' | 'host' | 'bridge' | 'container';
  /** The namespace's id in the guest (/run/netns/ID; the agent takes up to 63 characters): the container's own, or X's for `container:X`. */
  netns: string;
  /** The per-namespace DNS socket on 127.0.0.11:53 (user-defined networks). */
  dns: boolean;
  endpoints: PlannedEndpoint[];
  /** Bound at /etc/hosts, /etc/resolv.conf, /etc/hostname as Docker binds its own. */
  files: { hosts: string; resolvConf: string; hostname: string };
}

/** What the guest runtime asks of the engine's network for each guest it boots. */
export interface GuestNetworkHost {
  /** A new guest: answer its OPEN (egress) and DGRAM (DNS) frames, tell it whether the link is up. */
  serve(agent: AgentClient): Promise<void>;
}
