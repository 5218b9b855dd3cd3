import type { ContainerSummary, EngineApi, ImageSummary } from '../../engine/api.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { filterContainers, parseFilters, psFiltersShowAll } from '../filters.ts';
import { ago, ellipsis, goTimeString, humanSize } from '../format.ts';
import { goStruct, writeFormatted } from '../formatter.ts';
import { GoTemplate, TemplateExecError, TemplateParseError, goQuote as goQuoteCommand, type GoStruct } from '../gotemplate/index.ts';
import { portsText, statusText } from './containers.ts';
import { familiarName } from './images.ts';

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** docker/cli's ContainerContext.Image: the short ID for an image named by ID, else the familiar reference without its digest. */
function imageText(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  if (shortId(c.ImageID) === shortId(c.Image) && /^(sha256:)?[0-9a-f]{12,}$/.test(c.Image)) return shortId(c.Image);
  const at = c.Image.indexOf('@');
  const noDigest = at === -1 ? c.Image : c.Image.slice(0, at);
  const colon = noDigest.lastIndexOf(':');
  const hasTag = colon > noDigest.lastIndexOf('/');
  return hasTag ? `${familiarName(noDigest.slice(0, colon))}:${noDigest.slice(colon + 1)}` : familiarName(noDigest);
}

/** docker/cli's ContainerContext (cli/command/formatter/container.go): what `ps --format` fields name. */
export function containerContext(c: ContainerSummary, o: { trunc: boolean; now: Date; imageSize?: number; onSize?: () => void }): GoStruct {
  const labels = c.Labels ?? {};
  const fields = {
    ID: () => (o.trunc ? shortId(c.Id) : c.Id),
    Names: () => c.Names.map((n) => n.replace(/^\//, '')).filter((n) => !o.trunc || !n.includes('/')).join(','),
    Image: () => imageText(c, o.trunc),
    // strconv.Quote of the command, cut to 20 columns first.
    Command: () => goQuoteCommand(o.trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: () => goTimeString(c.Created),
    RunningFor: () => ago(c.Created, o.now),
    Ports: () => portsText(c.Ports),
    State: () => c.State,
    Status: () => statusText(c, o.now),
    Size: () => {
      o.onSize?.();
      const rw = humanSize(c.SizeRw ?? 0);
      const root = (c.SizeRw ?? 0) + (o.imageSize ?? 0);
      return root > 0 ? `${rw} (virtual ${humanSize(root)})` : rw;
    },
    Labels: () => Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Label: (name: unknown) => labels[String(name)] ?? '',
    Mounts: () => (c.Mounts ?? []).map((m) => (o.trunc ? ellipsis(m.Name || m.Source, 15) : m.Name || m.Source)).join(','),
    LocalVolumes: () => String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: () => (c.Networks ?? []).join(','),
  };
  return goStruct('*formatter.ContainerContext', fields);
}

const CONTAINER_HEADER = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS',
};

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const RAW = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';

/** formatter.NewContainerFormat. */
function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === 'table' || source === '') return quiet ? '{{.ID}}' : DEFAULT_TABLE + (size ? '\t{{.Size}}' : '');
  if (source === 'raw') return quiet ? 'container_id: {{.ID}}' : RAW + (size ? 'size: {{.Size}}\\n' : '');
  return quiet ? '{{.ID}}' : source;
}

/**
 * docker/cli's buildContainerListOptions: a `--format` naming `.Size` asks for sizes. The
 * format is parsed and run once over an empty container, which is also where Docker
 * reports a bad template (`failed to parse template: ...`, `failed to execute template: ...`).
 */
function formatUsesSize(format: string): boolean {
  let used = false;
  let tmpl: GoTemplate;
  try {
    tmpl = GoTemplate.parse(format);
  } catch (e) {
    if (e instanceof TemplateParseError) throw new TabdockError('TEMPLATE_ERROR', `failed to parse template: ${e.message}`, {}, { exitCode: 1 });
    throw e;
  }
  const empty: ContainerSummary = { Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: '', State: '', Status: '', StartedAt: '', FinishedAt: '', ExitCode: 0, Ports: [] };
  try {
    tmpl.execute(containerContext(empty, { trunc: true, now: new Date(), onSize: () => (used = true) }));
  } catch (e) {
    if (e instanceof TemplateExecError) throw new TabdockError('TEMPLATE_ERROR', `failed to execute template: ${e.message}`, {}, { exitCode: 1 });
    throw e;
  }
  return used;
}

export const ps: Command = {
  name: 'ps',
  aliases: ['container ls', 'container list', 'container ps'],
  usage: 'ps [OPTIONS]',
  description: 'List containers',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', type: 'list', value: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print containers using a Go template' },
    { name: 'last', short: 'n', type: 'string', value: 'int', help: 'Show n last created containers (includes all states) (default -1)' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', help: 'Display total file sizes' },
  ],
  args: [0, 0],
  async run(p, { io, engine, prog, config }) {
    const filters = parseFilters(p.flags['filter'] as string[] | undefined, `${prog} ps`);
    const lastFlag = p.flags['last'] as string | undefined;
    if (lastFlag !== undefined && !/^[+-]?[0-9]+$/.test(lastFlag)) throw new TabdockError('FLAG_ERROR', `invalid argument "${lastFlag}" for "-n, --last" flag: strconv.ParseInt: parsing ${JSON.stringify(lastFlag)}: invalid syntax`, {});
    let limit = lastFlag !== undefined ? Number(lastFlag) : -1;
    if (p.flags['latest'] === true && limit === -1) limit = 1;
    const quiet = p.flags['quiet'] === true;
    const given = p.flags['format'] as string | undefined;
    if (given !== undefined && given !== '' && quiet) io.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    const format = given || config?.psFormat || '';
    let size = p.flags['size'] === true;
    if (!size && format !== '') size = formatUsesSize(format);
    const api = await engine();
    const everything = await api.listContainers({ all: true, size });
    everything.sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    const showAll = p.flags['all'] === true || limit > 0 || psFiltersShowAll(filters);
    let list = filterContainers(everything, filters, await lookups(api, everything, filters));
    if (!showAll) list = list.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
    if (limit > 0) list = list.slice(0, limit);
    const images = size ? await api.listImages() : [];
    const now = new Date();
    const trunc = p.flags['no-trunc'] !== true;
    const rows = list.map((c) => containerContext(c, { trunc, now, imageSize: images.find((i) => i.id === c.ImageID)?.size ?? 0 }));
    writeFormatted(io, containerFormat(format, quiet, size), rows, CONTAINER_HEADER);
    return 0;
  },
};

async function lookups(api: EngineApi, all: ContainerSummary[], f: Map<string, string[]>): Promise<{ all: ContainerSummary[]; images: ImageSummary[]; networks: { Id: string; Name: string }[] }> {
  return {
    all,
    images: f.has('ancestor') ? await api.listImages() : [],
    networks: f.has('network') ? await api.listNetworks() : [],
  };
}
