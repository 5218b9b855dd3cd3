import type { Command } from '../command.ts';
import type { EngineApi } from '../../engine/api.ts';
import { goTimeString } from '../format.ts';
import { goStruct, inspectFormatted, writeFormatted } from '../formatter.ts';
import type { GoStruct } from '../gotemplate/index.ts';
import { eachArg } from './containers.ts';
import { confirmed, forceFlag } from './prune.ts';

const list = (v: unknown) => (v as string[] | undefined) ?? [];

function labelsOf(raw: string[]): Record<string, string> {
  return Object.fromEntries(raw.map((l) => {
    const eq = l.indexOf('=');
    return eq === -1 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
  }));
}

/** `docker network create|ls|inspect|rm|prune|connect|disconnect` (docker/cli `cli/command/network`). */
export const networkCreate: Command = {
  name: 'network create',
  usage: 'network create [OPTIONS] NETWORK',
  description: 'Create a network',
  flags: [
    { name: 'driver', short: 'd', type: 'string', value: 'string', help: 'Driver to manage the Network (default "bridge")' },
    { name: 'subnet', type: 'list', value: 'strings', help: 'Subnet in CIDR format that represents a network segment' },
    { name: 'gateway', type: 'list', value: 'strings', help: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'internal', type: 'bool', help: 'Restrict external access to the network' },
    { name: 'label', type: 'list', value: 'list', help: 'Set metadata on a network' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const subnets = list(p.flags['subnet']);
    const gateways = list(p.flags['gateway']);
    // one IPv4 pool per network here (no --ipv6, no --ip-range, no --aux-address)
    if (subnets.length > 1) throw new Error('only one --subnet per network is supported (tabdock networks are IPv4 with one pool)');
    if (gateways.length > 1) throw new Error('cannot configure multiple gateways for the same subnet');
    const r = await (await engine()).createNetwork(p.args[0]!, {
      ...(p.flags['driver'] !== undefined ? { driver: String(p.flags['driver']) } : {}),
      ...(subnets[0] !== undefined ? { subnet: subnets[0] } : {}), ...(gateways[0] !== undefined ? { gateway: gateways[0] } : {}),
      internal: p.flags['internal'] === true, labels: labelsOf(list(p.flags['label'])),
    });
    io.out(`${r.Id}\n`);
    return 0;
  },
};

export const networkLs: Command = {
  name: 'network ls',
  aliases: ['network list'],
  usage: 'network ls [OPTIONS]',
  description: 'List networks',
  flags: [
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print networks using a Go template' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only display network IDs' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
  ],
  args: [0, 0],
  async run(p, { io, engine, config }) {
    const all = (await (await engine()).listNetworks()).sort((a, b) => a.Name.localeCompare(b.Name));
    const trunc = p.flags['no-trunc'] !== true;
    // network.NewFormat: -q is `{{.ID}}` with the default format and ignored with the user's.
    const source = (p.flags['format'] as string | undefined) || (p.flags['quiet'] !== true && config?.networksFormat) || 'table';
    const format = source === 'table' ? (p.flags['quiet'] === true ? '{{.ID}}' : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}') : source;
    writeFormatted(io, format, all.map((n) => networkContext(n, trunc)), NETWORK_HEADER);
    return 0;
  },
};

/** docker/cli's networkContext (cli/command/network/formatter.go). */
function networkContext(n: Awaited<ReturnType<EngineApi['listNetworks']>>[number], trunc: boolean): GoStruct {
  const labels = n.Labels ?? {};
  return goStruct('*network.networkContext', {
    ID: () => (trunc ? n.Id.slice(0, 12) : n.Id), Name: () => n.Name, Driver: () => n.Driver, Scope: () => n.Scope,
    // tabdock networks are IPv4 only.
    IPv6: () => 'false', Internal: () => String(n.Internal),
    Labels: () => Object.entries(labels).map(([k, x]) => `${k}=${x}`).sort().join(','),
    Label: (name: unknown) => labels[String(name)] ?? '',
    CreatedAt: () => goTimeString(n.Created),
  });
}

const NETWORK_HEADER = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };

export const networkInspect: Command = {
  name: 'network inspect',
  usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', help: 'Format the output using the given Go template' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const found = await (await engine()).inspectNetworks(p.args);
    const ok = found.filter((n) => n != null);
    const format = p.flags['format'] as string | undefined;
    const code = format ? inspectFormatted(io, format, ok) : (io.out(`${JSON.stringify(ok, null, 4)}\n`), 0);
    p.args.forEach((n, i) => found[i] == null && io.err(`Error response from daemon: network ${n} not found\n`));
    return ok.length === p.args.length ? code : 1;
  },
};

export const networkRm: Command = {
  name: 'network rm',
  aliases: ['network remove'],
  usage: 'network rm NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  flags: [],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    return eachArg(io, p.args, (n) => api.removeNetwork(n));
  },
};

export const networkPrune: Command = {
  name: 'network prune',
  usage: 'network prune [OPTIONS]',
  description: 'Remove all unused networks',
  flags: [forceFlag],
  args: [0, 0],
  async run(p, ctx) {
    const go = await confirmed(ctx, p.flags['force'] === true, 'WARNING! This will remove all custom networks not used by at least one container.', 'network prune');
    if (go !== true) return go;
    const r = await (await ctx.engine()).pruneNetworks();
    if (r.deleted.length) ctx.io.out(`Deleted Networks:\n${r.deleted.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};

export const networkConnect: Command = {
  name: 'network connect',
  usage: 'network connect [OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  flags: [
    { name: 'alias', type: 'list', value: 'strings', help: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', value: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
  ],
  args: [2, 2],
  async run(p, { engine }) {
    const ip = p.flags['ip'] as string | undefined;
    await (await engine()).connectNetwork(p.args[0]!, p.args[1]!, { aliases: list(p.flags['alias']), ...(ip ? { ip } : {}) });
    return 0;
  },
};

export const networkDisconnect: Command = {
  name: 'network disconnect',
  usage: 'network disconnect [OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Force the container to disconnect from a network' }],
  args: [2, 2],
  async run(p, { engine }) {
    await (await engine()).disconnectNetwork(p.args[0]!, p.args[1]!, { force: p.flags['force'] === true });
    return 0;
  },
};

/** `docker port CONTAINER [PRIVATE_PORT[/PROTO]]` (docker/cli `container/port.go`), from inspect's NetworkSettings.Ports. */
export const port: Command = {
  name: 'port',
  aliases: ['container port'],
  usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: [1, 2],
  async run(p, { io, engine }) {
    const c = await (await engine()).inspectContainer(p.args[0]!);
    const ports = ((c['NetworkSettings'] as { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> } | undefined)?.Ports) ?? {};
    const want = p.args[1];
    if (want !== undefined) {
      const key = want.includes('/') ? want : `${want}/tcp`;
      const bs = ports[key];
      if (!bs?.length) throw new Error(`No public port '${key}' published for ${p.args[0]}`);
      io.out(bs.map((b) => `${b.HostIp}:${b.HostPort}\n`).join(''));
      return 0;
    }
    for (const [k, bs] of Object.entries(ports)) for (const b of bs ?? []) io.out(`${k} -> ${b.HostIp}:${b.HostPort}\n`);
    return 0;
  },
};

export const NETWORK_COMMANDS = [networkCreate, networkLs, networkInspect, networkRm, networkPrune, networkConnect, networkDisconnect];
