import type { DiskUsage } from '../../engine/api.ts';
import type { Command } from '../command.ts';
import { ago, humanSize, table } from '../format.ts';
import { goStruct, writeFormatted } from '../formatter.ts';
import { confirmed, forceFlag } from './prune.ts';
import { containerContext } from './ps.ts';
import { familiarName } from './images.ts';
import { TabdockError } from '../../shared/errors.ts';

const size = (n: number) => humanSize(n, 4);
/** docker/cli disk_usage.go: `SIZE (N%)` of a total, or the size alone when the total is 0. */
const share = (part: number, total: number) => (total > 0 ? `${size(part)} (${Math.floor((part * 100) / total)}%)` : size(part));
const active = (state: string) => ['running', 'paused', 'restarting'].some((s) => state.includes(s));

/** The four rows of `docker system df` (docker/cli `formatter/disk_usage.go`, not verbose). */
export function diskUsageRows(du: DiskUsage): Array<{ Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }> {
  const used = du.Images.filter((i) => i.Containers !== 0).reduce((a, i) => a + i.Size - i.SharedSize, 0);
  const cTotal = du.Containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cFree = du.Containers.filter((c) => !active(c.State)).reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vSizes = du.Volumes.map((v) => v.UsageData?.Size ?? -1).filter((s) => s !== -1);
  const vTotal = vSizes.reduce((a, b) => a + b, 0);
  const vFree = du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0 && (v.UsageData?.Size ?? -1) !== -1).reduce((a, v) => a + v.UsageData!.Size, 0);
  return [
    { Type: 'Images', TotalCount: String(du.Images.length), Active: String(du.Images.filter((i) => i.Containers > 0).length), Size: size(du.LayersSize), Reclaimable: share(du.LayersSize - used, du.LayersSize) },
    { Type: 'Containers', TotalCount: String(du.Containers.length), Active: String(du.Containers.filter((c) => active(c.State)).length), Size: size(cTotal), Reclaimable: share(cFree, cTotal) },
    { Type: 'Local Volumes', TotalCount: String(du.Volumes.length), Active: String(du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: size(vTotal), Reclaimable: share(vFree, vTotal) },
    // docker/cli: the cache's size, and what is not in use is reclaimable.
    { Type: 'Build Cache', TotalCount: String(du.BuildCache.length), Active: String(du.BuildCache.filter((b) => b.InUse).length), Size: size(du.BuildCache.reduce((a, b) => a + b.Size, 0)), Reclaimable: size(du.BuildCache.filter((b) => !b.InUse).reduce((a, b) => a + b.Size, 0)) },
  ];
}

const DF_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';

/**
 * `docker system df -v` (docker/cli `DiskUsageContext.verboseWriteTable`): a table per kind,
 * each under its title; an image by its first tag (`<none>` when it has none), SIZE its
 * own bytes, SHARED SIZE those another image has too.
 */
export function diskUsageVerbose(du: DiskUsage, now: Date): string {
  const images = du.Images.map((i) => {
    let repo = '<none>';
    let tag = '<none>';
    const first = i.RepoTags[0];
    if (first) {
      const at = first.lastIndexOf(':');
      repo = familiarName(first.slice(0, at));
      tag = first.slice(at + 1);
    }
    return [repo, tag, i.Id.replace(/^sha256:/, '').slice(0, 12), i.Created ? ago(i.Created, now) : 'N/A', size(i.Size), size(i.SharedSize), size(i.Size - i.SharedSize), String(i.Containers)];
  });
  const imageSize = new Map(du.Images.map((i) => [i.Id, i.Size]));
  const containers = du.Containers.map((c) => {
    const ctx = containerContext(c, { trunc: true, now, imageSize: imageSize.get(c.ImageID) ?? 0 }) as unknown as Record<string, () => string>;
    return ['ID', 'Image', 'Command', 'LocalVolumes', 'Size', 'RunningFor', 'Status', 'Names'].map((k) => ctx[k]!());
  });
  const volumes = du.Volumes.map((v) => [v.Name, v.UsageData ? String(v.UsageData.RefCount) : 'N/A', v.UsageData ? size(v.UsageData.Size) : 'N/A']);
  return 'Images space usage:\n\n' + table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images)
    + '\nContainers space usage:\n\n' + table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers)
    + '\nLocal Volumes space usage:\n\n' + table(['VOLUME NAME', 'LINKS', 'SIZE'], volumes)
    + `\nBuild cache usage: ${size(du.BuildCache.reduce((a, b) => a + b.Size, 0))}\n\n`
    + table(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], du.BuildCache.map((b) => [b.ID, b.Type, size(b.Size), ago(b.CreatedAt, now), 'N/A', String(b.UsageCount), String(b.Shared)]));
}

/** `docker system df` (docker/cli `system/df.go`): the summary table, or `--format` over its rows; `-v` a table per kind. */
export const systemDf: Command = {
  name: 'system df',
  usage: 'system df [OPTIONS]',
  description: 'Show docker disk usage',
  flags: [
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'verbose', short: 'v', type: 'bool', help: 'Show detailed information on space usage' },
  ],
  args: [0, 0],
  async run(p, { io, engine }) {
    const verbose = p.flags['verbose'] === true;
    if (verbose && p.flags['format']) throw new TabdockError('UNSUPPORTED', 'system df -v with --format is not supported yet: use one or the other', {}, { exitCode: 125 });
    const du = await (await engine()).diskUsage();
    if (verbose) {
      io.out(diskUsageVerbose(du, new Date()));
      return 0;
    }
    const rows = diskUsageRows(du).map((r) => goStruct('*formatter.diskUsageContext', Object.fromEntries(Object.entries(r).map(([k, v]) => [k, () => v]))));
    writeFormatted(io, (p.flags['format'] as string | undefined) || DF_TABLE, rows, DF_HEADER);
    return 0;
  },
};

/**
 * `docker system prune` (docker/cli `system/prune.go`, as Docker 23 prunes volumes:
 * anonymous ones): stopped containers, unused networks, with `--volumes` unused anonymous
 * volumes, dangling images (`-a`: every image no container uses); each list as its own
 * prune prints it, then the total.
 */
export const systemPrune: Command = {
  name: 'system prune',
  usage: 'system prune [OPTIONS]',
  description: 'Remove unused data',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all unused images not just dangling ones' },
    forceFlag,
    { name: 'volumes', type: 'bool', help: 'Prune volumes' },
  ],
  args: [0, 0],
  async run(p, ctx) {
    const all = p.flags['all'] === true;
    const volumes = p.flags['volumes'] === true;
    const warnings = [
      'all stopped containers', 'all networks not used by at least one container',
      ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
      all ? 'all images without at least one container associated to them' : 'all dangling images',
      all ? 'all build cache' : 'all dangling build cache',
    ];
    const go = await confirmed(ctx, p.flags['force'] === true, `WARNING! This will remove:\n${warnings.map((w) => `  - ${w}\n`).join('')}`, 'system prune');
    if (go !== true) return go;
    const api = await ctx.engine();
    const section = (title: string, lines: string[]) => (lines.length ? ctx.io.out(`${title}\n${lines.map((l) => `${l}\n`).join('')}\n`) : undefined);
    let reclaimed = 0;
    const c = await api.pruneContainers();
    section('Deleted Containers:', c.deleted);
    reclaimed += c.reclaimed;
    section('Deleted Networks:', (await api.pruneNetworks()).deleted);
    if (volumes) {
      const v = await api.pruneVolumes({});
      section('Deleted Volumes:', v.deleted);
      reclaimed += v.reclaimed;
    }
    const i = await api.pruneImages({ all });
    section('Deleted Images:', i.deleted.map((d) => (d.untagged ? `untagged: ${d.untagged}` : `deleted: ${d.deleted}`)));
    reclaimed += i.reclaimed;
    ctx.io.out(`Total reclaimed space: ${size(reclaimed)}\n`);
    return 0;
  },
};
