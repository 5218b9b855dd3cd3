import type { Command } from '../command.ts';
import type { VolumeSummary } from '../../engine/api.ts';
import { humanSize } from '../format.ts';
import { goStruct, inspectFormatted, writeFormatted } from '../formatter.ts';
import type { GoStruct } from '../gotemplate/index.ts';
import { eachArg } from './containers.ts';
import { confirmed, forceFlag, report } from './prune.ts';

/** `docker volume create|ls|inspect|rm|prune` (docker/cli `cli/command/volume`). */
export const volumeCreate: Command = {
  name: 'volume create',
  usage: 'volume create [OPTIONS] [VOLUME]',
  description: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', type: 'string', value: 'string', help: 'Specify volume driver name (default "local")' },
    { name: 'label', type: 'list', value: 'list', help: 'Set metadata for a volume' },
    { name: 'name', type: 'string', value: 'string', help: 'Specify volume name' },
    { name: 'opt', short: 'o', type: 'list', value: 'map', help: 'Set driver specific options' },
  ],
  args: [0, 1],
  async run(p, { io, engine }) {
    const driver = p.flags['driver'];
    if (driver !== undefined && driver !== 'local') throw new Error(`create ${p.args[0] ?? ''}: error looking up volume plugin ${String(driver)}: plugin "${String(driver)}" not found`);
    if ((p.flags['opt'] as string[] | undefined)?.length) throw new Error('driver options (-o) are not supported: tabdock volumes live in its store, not on a host file system');
    const named = p.args[0] ?? (p.flags['name'] as string | undefined);
    if (p.args[0] && p.flags['name'] && p.args[0] !== p.flags['name']) throw new Error(`conflicting options: either specify --name or provide positional arg, not both`);
    const labels = Object.fromEntries(((p.flags['label'] as string[] | undefined) ?? []).map((l) => {
      const eq = l.indexOf('=');
      return eq === -1 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
    }));
    const v = await (await engine()).createVolume(named, { labels });
    io.out(`${v.Name}\n`);
    return 0;
  },
};

/** docker/cli's volumeContext (cli/command/formatter/volume.go). */
function volumeContext(v: VolumeSummary): GoStruct {
  const labels = v.Labels ?? {};
  return goStruct('*formatter.volumeContext', {
    Name: () => v.Name, Driver: () => v.Driver, Scope: () => v.Scope, Mountpoint: () => v.Mountpoint,
    Labels: () => Object.entries(labels).map(([k, x]) => `${k}=${x}`).sort().join(','),
    Label: (name: unknown) => labels[String(name)] ?? '',
    Links: () => (v.UsageData ? String(v.UsageData.RefCount) : 'N/A'),
    Size: () => (v.UsageData ? humanSize(v.UsageData.Size, 4) : 'N/A'),
  });
}

const VOLUME_HEADER = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' };

export const volumeLs: Command = {
  name: 'volume ls',
  aliases: ['volume list'],
  usage: 'volume ls [OPTIONS]',
  description: 'List volumes',
  flags: [
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print volumes using a Go template' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only display volume names' },
  ],
  args: [0, 0],
  async run(p, { io, engine, config }) {
    const list = (await (await engine()).listVolumes()).sort((a, b) => a.Name.localeCompare(b.Name));
    // NewVolumeFormat: -q is `{{.Name}}` with the default format and ignored with the user's.
    const source = (p.flags['format'] as string | undefined) || (p.flags['quiet'] !== true && config?.volumesFormat) || 'table';
    const format = source === 'table' ? (p.flags['quiet'] === true ? '{{.Name}}' : 'table {{.Driver}}\t{{.Name}}') : source;
    writeFormatted(io, format, list.map(volumeContext), VOLUME_HEADER);
    return 0;
  },
};

export const volumeInspect: Command = {
  name: 'volume inspect',
  usage: 'volume inspect [OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', help: 'Format the output using the given Go template' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    // (a missing one is undefined, or null after a JSON hop)
    const found = await (await engine()).inspectVolumes(p.args);
    const ok = found.filter((v) => v != null);
    const format = p.flags['format'] as string | undefined;
    // Docker runs a volume's template over its typed struct only (no raw fallback).
    const code = format ? inspectFormatted(io, format, ok, { typed: 'types.Volume' }) : (io.out(`${JSON.stringify(ok, null, 4)}\n`), 0);
    p.args.forEach((n, i) => found[i] == null && io.err(`Error response from daemon: get ${n}: no such volume\n`));
    return ok.length === p.args.length ? code : 1;
  },
};

export const volumeRm: Command = {
  name: 'volume rm',
  aliases: ['volume remove'],
  usage: 'volume rm [OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Force the removal of one or more volumes' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    return eachArg(io, p.args, (n) => api.removeVolume(n, { force: p.flags['force'] === true }));
  },
};

export const volumePrune: Command = {
  name: 'volume prune',
  usage: 'volume prune [OPTIONS]',
  description: 'Remove unused local volumes',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all unused volumes, not just anonymous ones' }, forceFlag],
  args: [0, 0],
  async run(p, ctx) {
    const all = p.flags['all'] === true;
    const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    const go = await confirmed(ctx, p.flags['force'] === true, warning, 'volume prune');
    if (go !== true) return go;
    const r = await (await ctx.engine()).pruneVolumes({ all });
    report(ctx.io, 'Deleted Volumes:', r.deleted, r.reclaimed);
    return 0;
  },
};

export const VOLUME_COMMANDS = [volumeCreate, volumeLs, volumeInspect, volumeRm, volumePrune];
