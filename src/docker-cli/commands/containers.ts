import type { ContainerSummary } from '../../engine/api.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { ago, humanDuration } from '../format.ts';
import { untilInterrupt, type TerminalIo } from '../io.ts';
import { getTimestamp } from '../timestamp.ts';

/** `docker ps` STATUS: `Up 5 seconds`, `Exited (0) 3 minutes ago`, `Created`. */
export function statusText(c: ContainerSummary, now: Date): string {
  // An emulated container says so (Docker has no such case; its ps shows the same layout otherwise).
  const emulated = c.Emulated ? ` (emulated ${c.Emulated})` : '';
  // moby State.String: `(health: starting)`, `(healthy)`, `(unhealthy)` after a running container's uptime.
  const health = c.Health ? ` (${c.Health === 'starting' ? 'health: starting' : c.Health})` : '';
  if (c.State === 'running') return `Up ${humanDuration(now.getTime() - Date.parse(c.StartedAt))}${health}${emulated}`;
  if (c.State === 'paused') return `Up ${humanDuration(now.getTime() - Date.parse(c.StartedAt))} (Paused)${emulated}`;
  if (c.State === 'exited') return `Exited (${c.ExitCode}) ${ago(c.FinishedAt, now)}`;
  if (c.State === 'created') return 'Created';
  // An empty summary (ps checks a --format on one before listing) has no state at all.
  return c.State ? c.State[0]!.toUpperCase() + c.State.slice(1) : '';
}

/** docker's PORTS column (formatter `DisplayablePorts`, without its grouping of ranges): `0.0.0.0:8080->80/tcp, 443/tcp`. */
export function portsText(ports: ContainerSummary['Ports'] | undefined): string {
  return (ports ?? [])
    .map((p) => (p.PublicPort !== undefined ? `${p.IP || '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

/** Commands that take container names and act on each, printing the name as Docker does. */
function each(name: string, alias: string, description: string, act: (api: Awaited<ReturnType<Parameters<Command['run']>[1]['engine']>>, ref: string, p: Parameters<Command['run']>[0]) => Promise<unknown>, flags: Command['flags'] = []): Command {
  return {
    name,
    aliases: [alias],
    usage: `${name} [OPTIONS] CONTAINER [CONTAINER...]`,
    description,
    flags,
    args: [1, Infinity],
    async run(p, { io, engine }) {
      const api = await engine();
      return eachArg(io, p.args, (ref) => act(api, ref, p));
    },
  };
}

/**
 * Acts on each named object, printing its name, or the engine's error and going on (as
 * docker does for `stop a b`, `volume rm a b`): 1 if any failed.
 */
export async function eachArg(io: TerminalIo, names: string[], act: (name: string) => Promise<unknown>): Promise<number> {
  let failed = false;
  for (const name of names) {
    try {
      await act(name);
      io.out(`${name}\n`);
    } catch (e) {
      if (!TabdockError.is(e)) throw e;
      io.err(`Error response from daemon: ${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

const timeFlag = { name: 'time', short: 't', type: 'string' as const, value: 'int', help: 'Seconds to wait before killing the container' };
const timeOf = (p: { flags: Record<string, unknown> }) => (p.flags['time'] !== undefined ? Number(p.flags['time']) : undefined);

export const stop = each('stop', 'container stop', 'Stop one or more running containers', (api, ref, p) => api.stopContainer(ref, timeOf(p)), [timeFlag]);
export const restart = each('restart', 'container restart', 'Restart one or more containers', (api, ref, p) => api.restartContainer(ref, timeOf(p)), [timeFlag]);
export const kill = each('kill', 'container kill', 'Kill one or more running containers', (api, ref, p) => api.killContainer(ref, String(p.flags['signal'] ?? 'KILL')), [
  { name: 'signal', short: 's', type: 'string', value: 'string', help: 'Signal to send to the container' },
]);
/**
 * docker/cli rm.go: a container that is not there is `Error: No such container: X` (the
 * client's not-found error); with `-f` it is said and not a failure (exit 0), as
 * `rm -f` in a clean-up script expects.
 */
export const rm: Command = {
  ...each('rm', 'container rm', 'Remove one or more containers', async () => {}, [
    { name: 'force', short: 'f', type: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'volumes', short: 'v', type: 'bool', help: 'Remove anonymous volumes associated with the container' },
  ]),
  async run(p, { io, engine }) {
    const api = await engine();
    const force = p.flags['force'] === true;
    let failed = false;
    for (const ref of p.args) {
      try {
        await api.removeContainer(ref, { force, volumes: p.flags['volumes'] === true });
        io.out(`${ref}\n`);
      } catch (e) {
        if (!TabdockError.is(e)) throw e;
        const missing = e.code === 'NO_SUCH_CONTAINER';
        io.err(missing ? `Error: ${e.message}\n` : `Error response from daemon: ${e.message}\n`);
        if (!(missing && force)) failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};

export const wait: Command = {
  name: 'wait',
  aliases: ['container wait'],
  usage: 'wait CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    return untilInterrupt(io, (async () => {
      for (const ref of p.args) io.out(`${(await api.waitContainer(ref)).StatusCode}\n`);
      return 0;
    })());
  },
};

export const logs: Command = {
  name: 'logs',
  aliases: ['container logs'],
  usage: 'logs [OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output' },
    { name: 'tail', short: 'n', type: 'string', value: 'string', help: 'Number of lines to show from the end of the logs (default "all")' },
    { name: 'since', type: 'string', value: 'string', help: 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
    { name: 'timestamps', short: 't', type: 'bool', help: 'Show timestamps' },
    { name: 'until', type: 'string', value: 'string', help: 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const tailFlag = p.flags['tail'] as string | undefined;
    const tail = tailFlag === undefined || tailFlag === 'all' ? undefined : Number(tailFlag);
    if (tail !== undefined && !Number.isInteger(tail)) throw new TabdockError('FLAG_ERROR', `invalid value for --tail: ${tailFlag}`, {});
    const ts = p.flags['timestamps'] === true;
    // The docker client turns them into the API's SECONDS.NANOS against its own clock.
    const now = new Date();
    const bounds: { since?: string; until?: string } = {};
    for (const k of ['since', 'until'] as const) if (typeof p.flags[k] === 'string' && p.flags[k] !== '') bounds[k] = getTimestamp(p.flags[k] as string, now, k);
    const api = await engine();
    // Ctrl-C ends `logs -f`; what the engine still sends after that is not shown.
    let ended = false;
    const done = api.containerLogs(p.args[0]!, { follow: p.flags['follow'] === true, ...(tail !== undefined ? { tail } : {}), timestamps: ts, ...bounds }, (stream, data, time) => {
      if (ended) return;
      const write = stream === 'stderr' ? io.err : io.out;
      if (ts) write(`${time} `);
      write(data);
    });
    return untilInterrupt(io, done.then(() => 0), () => (ended = true));
  },
};

export const start: Command = {
  name: 'start',
  aliases: ['container start'],
  usage: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  flags: [{ name: 'attach', short: 'a', type: 'bool', help: 'Attach STDOUT/STDERR and forward signals' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    if (p.flags['attach'] === true) {
      const ref = p.args[0]!;
      const a = await api.attachContainer(ref, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
      // `start -a` forwards signals as `run` does (sig-proxy).
      const off = io.onInterrupt?.(() => void api.killContainer(ref, 'SIGINT').catch(() => {})) ?? (() => {});
      try {
        await api.startContainer(ref);
        const r = await api.waitContainer(ref);
        await a.detach();
        return r.StatusCode;
      } finally {
        off();
      }
    }
    for (const ref of p.args) {
      await api.startContainer(ref);
      io.out(`${ref}\n`);
    }
    return 0;
  },
};
