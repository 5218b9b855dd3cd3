import type { ContainerStats, EngineApi } from '../../engine/api.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../format.ts';
import { formatted, goStruct } from '../formatter.ts';
import type { GoStruct } from '../gotemplate/index.ts';
import { untilInterrupt } from '../io.ts';

/** docker's `units.BytesSize`: binary units, 4 significant digits (`1.203MiB`). */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.parseFloat(v.toPrecision(4))}${units[i]}`;
}

/** docker/cli `calculateCPUPercentUnix`: the container's CPU time over the wall clock between two samples. */
export function cpuPercent(prev: ContainerStats | undefined, cur: ContainerStats): number {
  if (!prev || prev.error || cur.error) return 0;
  const cpu = cur.cpu_stats.cpu_usage.total_usage - prev.cpu_stats.cpu_usage.total_usage;
  const sys = cur.cpu_stats.system_cpu_usage - prev.cpu_stats.system_cpu_usage;
  return sys > 0 && cpu > 0 ? (cpu / sys) * cur.cpu_stats.online_cpus * 100 : 0;
}

function row(prev: ContainerStats | undefined, s: ContainerStats, trunc: boolean): string[] {
  const id = trunc ? s.id.slice(0, 12) : s.id;
  // Figures that could not be read are shown as docker shows invalid stats, not as zeros.
  if (s.error) return [id, s.name.replace(/^\//, ''), '--', '-- / --', '--', '--', '--', '--'];
  // The CPU figure is a difference: it needs an earlier sample that was read.
  const cpu = !s.running ? '0.00%' : prev && !prev.error ? `${cpuPercent(prev, s).toFixed(2)}%` : '--';
  const mem = s.memory_stats;
  // No network but lo: `--`, as docker stats shows for a container with --network none.
  const net = s.networks && Object.values(s.networks).reduce((a, n) => [a[0]! + n.rx_bytes, a[1]! + n.tx_bytes], [0, 0]);
  // docker/cli calculateBlockIO: bytes summed by op; `--` when the figures could not be read.
  const blk = s.blkio_stats.io_service_bytes_recursive;
  const bytesOf = (op: string) => blk!.filter((e) => e.op.toLowerCase() === op).reduce((a, e) => a + e.value, 0);
  return [
    id, s.name.replace(/^\//, ''), cpu,
    `${bytesSize(mem.usage)} / ${bytesSize(mem.limit)}`, mem.limit ? `${((mem.usage / mem.limit) * 100).toFixed(2)}%` : '0.00%',
    net ? `${humanSize(net[0]!)} / ${humanSize(net[1]!)}` : '--',
    blk ? `${humanSize(bytesOf('read'))} / ${humanSize(bytesOf('write'))}` : '--', String(s.pids_stats.current),
  ];
}

/** docker/cli's statsContext (cli/command/container/formatter_stats.go) over one row; `container` is the name or ID as the user gave it. */
function statsContext(r: string[], container: string): GoStruct {
  const [id, name, cpu, mem, memPerc, net, blk, pids] = r as [string, string, string, string, string, string, string, string];
  return goStruct('*container.statsContext', {
    Container: () => container, Name: () => name, ID: () => id, CPUPerc: () => cpu, MemUsage: () => mem, MemPerc: () => memPerc,
    NetIO: () => net, BlockIO: () => blk, PIDs: () => pids,
  });
}

const STATS_HEADER = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};
const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';


/** Each container's stats with the name or ID it was asked by (those that could not be read are left out). */
async function sample(api: EngineApi, refs: string[]): Promise<(ContainerStats & { ref: string })[]> {
  const got = await Promise.all(refs.map((ref) => api.containerStats(ref).then((s) => ({ ...s, ref }), () => undefined)));
  return got.filter((s): s is ContainerStats & { ref: string } => s !== undefined);
}

export const stats: Command = {
  name: 'stats',
  aliases: ['container stats'],
  usage: 'stats [OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all containers (default shows just running)' },
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'no-stream', type: 'bool', help: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
  ],
  args: [0, Infinity],
  async run(p, { io, engine, config }) {
    const api = await engine();
    const trunc = p.flags['no-trunc'] !== true;
    const named = p.args.length > 0;
    // Named containers must exist (docker: "No such container" and exit 1).
    for (const ref of p.args) await api.inspectContainer(ref);
    const refs = async () => (named ? p.args : (await api.listContainers({ all: p.flags['all'] === true })).map((c) => c.Id));
    const source = (p.flags['format'] as string | undefined) || config?.statsFormat || 'table';
    const format = source === 'table' ? DEFAULT_FORMAT : source;
    let prev = new Map<string, ContainerStats>();
    const tick = async () => {
      const now = await sample(api, await refs());
      const out = formatted(format, now.map((s) => statsContext(row(prev.get(s.id), s, trunc), named ? s.ref : s.id.slice(0, 12))), STATS_HEADER);
      prev = new Map(now.map((s) => [s.id, s]));
      return out;
    };
    // The CPU figure needs two samples: docker's daemon takes them a second apart too.
    await tick();
    await sleep(1000);
    if (p.flags['no-stream'] === true) {
      io.out(await tick());
      return 0;
    }
    let stop = false;
    return untilInterrupt(io, (async () => {
      while (!stop) {
        const text = await tick();
        if (io.isTTY) io.out(`\x1b[2J\x1b[H${text}`);
        else io.out(text);
        await sleep(1000);
      }
      return 0;
    })(), () => (stop = true));
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
