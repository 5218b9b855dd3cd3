import type { ContainerSummary, EngineApi } from '../../../engine/api.ts';
import { orderServices } from '../../../compose/index.ts';
import type { Parsed } from '../../../shared/flags.ts';
import { INTERRUPTED, type TerminalIo } from '../../io.ts';
import { LABEL, cliError, load, nameOf, projectContainers, shortName, status, type Ctx, type Sub } from '../compose.ts';
import { LogPrinter } from './log-printer.ts';

/**
 * `compose up` without `-d` (docker/compose `pkg/compose/up.go`, `attach.go`): `up` makes and
 * starts the containers as it does with `-d`, then prints `Attaching to ...` and follows the
 * services' output, prefixed and coloured as `logs` does, printing `NAME exited with code N`
 * as each stops, until all have. Ctrl-C stops them (compose's "Gracefully stopping..."), a
 * second Ctrl-C kills them; the command then ends with 130.
 */
const ATTACH_FLAGS = [
  { name: 'no-color', type: 'bool', help: 'Produce monochrome output' },
  { name: 'no-log-prefix', type: 'bool', help: 'Don\'t print prefix in logs' },
  { name: 'timestamps', type: 'bool', help: 'Show timestamps' },
] as const;

/** The API's `SECONDS.NANOS` for a time in ms. */
const apiTime = (ms: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}000000`;

export function attachedUp(up: Sub): Sub {
  return {
    ...up,
    flags: [...up.flags, ...ATTACH_FLAGS],
    async run(p, g, ctx) {
      // `--wait` (when there is one) detaches as -d does.
      const detached = p.flags['detach'] === true || p.flags['wait'] === true;
      const taken = ATTACH_FLAGS.map((f) => f.name).filter((n) => p.flags[n] === true);
      if (detached && taken.length) throw cliError(`--${taken[0]} applies to the attached output: it cannot be used with --detach`);
      const since = Date.now();
      const code = await up.run(p, g, ctx);
      if (code !== 0 || detached) return code;
      return follow(p, g, ctx, since);
    },
  };
}

async function follow(p: Parsed, g: Parsed, ctx: Ctx, since: number): Promise<number> {
  const { io } = ctx;
  // The model again (up printed its warnings already).
  const quiet: TerminalIo = Object.assign(Object.create(io) as TerminalIo, { err: () => {} });
  const { project } = await load(g, quiet, p.args);
  const api = await ctx.engine();
  // compose attaches to the services named on the command line (all when none), not their dependencies.
  const wanted = new Set(p.args.length ? p.args : Object.keys(project.services));
  const list = (await projectContainers(api, project.name))
    .filter((c) => wanted.has(c.Labels![`${LABEL}.service`]!))
    .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  if (!list.length) return 0;
  const short = (c: ContainerSummary) => shortName(project.name, c);
  io.out(`Attaching to ${list.map(short).join(', ')}\n`);
  const printer = new LogPrinter(io, { color: io.isTTY && p.flags['no-color'] !== true, prefix: p.flags['no-log-prefix'] !== true });
  for (const c of list) printer.register(short(c));
  const one = async (c: ContainerSummary) => {
    const sink = printer.sink(short(c));
    // Output since this `up` began: a container left running shows only what is new, as an attach would.
    await api.containerLogs(c.Id, { follow: true, since: apiTime(since), timestamps: p.flags['timestamps'] === true }, (stream, data) => sink.write(stream, data));
    sink.flush();
    const r = await api.waitContainer(c.Id);
    printer.status(short(c), `exited with code ${r.StatusCode}`);
  };
  const all = Promise.all(list.map(one));
  if (!io.onInterrupt) {
    await all;
    return 0;
  }
  let interrupts = 0;
  let stopping: Promise<void> | undefined;
  const order = orderServices(project.services).reverse();
  const rank = (c: ContainerSummary) => order.indexOf(c.Labels![`${LABEL}.service`]!);
  const off = io.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      io.err('Gracefully stopping... (press Ctrl+C again to force)\n');
      stopping = stopAll(api, io, [...list].sort((a, b) => rank(a) - rank(b)));
    } else for (const c of list) void api.killContainer(c.Id, 'SIGKILL').catch(() => {});
  });
  try {
    await all;
    await stopping;
    return interrupts ? INTERRUPTED : 0;
  } finally {
    off();
  }
}

/** compose's stop on Ctrl-C: dependents first, each with its stop timeout. */
async function stopAll(api: EngineApi, io: TerminalIo, list: ContainerSummary[]): Promise<void> {
  for (const c of list) {
    try {
      await api.stopContainer(c.Id);
      status(io, 'Container', nameOf(c), 'Stopped');
    } catch {
      // Killed by a second Ctrl-C, or gone: nothing left to stop.
    }
  }
}
