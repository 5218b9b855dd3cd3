import { configHash, shellSplit, type ServiceConfig } from '../../../compose/index.ts';
import type { ContainerSummary, EngineApi } from '../../../engine/api.ts';
import { TabdockError } from '../../../shared/errors.ts';
import type { Parsed } from '../../../shared/flags.ts';
import type { TerminalIo } from '../../io.ts';
import { exec as dockerExec, run as dockerRun } from '../run.ts';
import { LABEL, cliError, ensureImage, ensureNetworksAndVolumes, load, projectContainers, runFlags, up, withDependencies, type Sub } from '../compose.ts';

/**
 * `compose exec` and `compose run` (docker/compose `cmd/compose/exec.go`, `run.go`,
 * `pkg/compose/run.go`): a container picked or made as compose does, then handed to the
 * docker commands' `exec` and `run`, so the terminal, stdin, signals and exit codes are theirs.
 */

/** compose's `-T`: a TTY by default only where there is a terminal to give it (stdin and stdout). */
function wantsTty(p: Parsed, io: TerminalIo): boolean {
  if (p.flags['no-tty'] === true || p.flags['no-TTY'] === true) return false;
  return io.isTTY && io.stdin?.isTTY === true;
}

function indexFlag(p: Parsed): number {
  const text = p.flags['index'] as string | undefined;
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new TabdockError('FLAG_ERROR', `invalid argument "${text}" for "--index" flag: strconv.ParseInt: parsing "${text}": invalid syntax`, {});
  return n;
}

/**
 * compose's `getSpecifiedContainer`: the service's container numbered `index` (0: the lowest
 * number), one-off containers last; running ones only unless `all`.
 */
export async function serviceContainer(api: EngineApi, project: string, service: string, index: number, all: boolean): Promise<ContainerSummary> {
  const num = (c: ContainerSummary) => Number(c.Labels![`${LABEL}.container-number`]);
  const oneoff = (c: ContainerSummary) => c.Labels![`${LABEL}.oneoff`] === 'True';
  const list = (await projectContainers(api, project, all, true))
    .filter((c) => c.Labels![`${LABEL}.service`] === service && (!index || num(c) === index))
    .sort((a, b) => (oneoff(a) !== oneoff(b) ? (oneoff(a) ? 1 : -1) : num(a) - num(b)));
  if (!list.length) throw cliError(index ? `service "${service}" is not running container #${index}` : `service "${service}" is not running`);
  return list[0]!;
}

const NO_TTY = { name: 'no-tty', short: 'T', type: 'bool', help: 'Disable pseudo-TTY allocation (default: auto-detected)' } as const;
/** compose still takes the old spelling (its flag normalizer maps it to `--no-tty`). */
const NO_TTY_LEGACY = { name: 'no-TTY', type: 'bool', help: 'Same as --no-tty' } as const;

export const exec: Sub = {
  usage: 'compose exec [OPTIONS] SERVICE COMMAND [ARGS...]',
  description: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', help: 'Detached mode: Run command in the background' },
    { name: 'env', short: 'e', type: 'list', value: 'stringArray', help: 'Set environment variables' },
    { name: 'index', type: 'string', value: 'int', help: 'Index of the container if service has multiple replicas' },
    NO_TTY, NO_TTY_LEGACY,
    { name: 'user', short: 'u', type: 'string', value: 'string', help: 'Run the command as this user' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', help: 'Path to workdir directory for this command' },
  ],
  args: [2, Infinity],
  stopAtPositional: true,
  async run(p, g, ctx) {
    const [service, ...cmd] = p.args as [string, ...string[]];
    const index = indexFlag(p);
    const { project } = await load(g, ctx.io);
    if (!project.services[service]) throw cliError(`no such service: ${service}`);
    const api = await ctx.engine();
    const c = await serviceContainer(api, project.name, service, index, false);
    // docker exec's own flags: it refuses -d (125) with its sentence, checks the TTY, wires stdin.
    const flags: Parsed['flags'] = {
      interactive: true, tty: wantsTty(p, ctx.io), detach: p.flags['detach'] === true, env: (p.flags['env'] as string[] | undefined) ?? [],
      ...(p.flags['user'] !== undefined ? { user: p.flags['user'] } : {}),
      ...(p.flags['workdir'] !== undefined ? { workdir: p.flags['workdir'] } : {}),
    };
    return dockerExec.run({ flags, args: [c.Id, ...cmd] }, ctx);
  },
};

/** A one-off container's slug: 32 random bytes in hex (moby's `GenerateRandomID`); its name takes the first 12. */
function slug(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const run: Sub = {
  usage: 'compose run [OPTIONS] SERVICE [COMMAND] [ARGS...]',
  description: 'Run a one-off command on a service',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', help: 'Run container in background and print container ID' },
    { name: 'rm', type: 'bool', help: 'Automatically remove the container when it exits' },
    { name: 'env', short: 'e', type: 'list', value: 'stringArray', help: 'Set environment variables' },
    { name: 'user', short: 'u', type: 'string', value: 'string', help: 'Run as specified username or uid' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', help: 'Working directory inside the container' },
    { name: 'entrypoint', type: 'string', value: 'string', help: 'Override the entrypoint of the image' },
    { name: 'no-deps', type: 'bool', help: 'Don\'t start linked services' },
    NO_TTY,
    { name: 'name', type: 'string', value: 'string', help: 'Assign a name to the container' },
    { name: 'publish', short: 'p', type: 'list', value: 'stringArray', help: 'Publish a container\'s port(s) to the host' },
  ],
  args: [1, Infinity],
  stopAtPositional: true,
  async run(p, g, ctx) {
    const { io } = ctx;
    const [service, ...cmd] = p.args as [string, ...string[]];
    const l = await load(g, io, [service]);
    const proj = l.project;
    const s = proj.services[service];
    if (!s) throw cliError(`no such service: ${service}`);
    if (Object.keys(s.networks ?? {}).length > 1) {
      throw new TabdockError('COMPOSE_UNSUPPORTED', `compose run of service "${service}", which is on more than one network, is not supported yet (tabdock refuses it rather than ignore it)`, {}, { exitCode: 1 });
    }
    const api = await ctx.engine();
    // compose's startDependencies: the dependencies come up as `up` brings them (waits included).
    const deps = [...withDependencies(proj, [service])].filter((n) => n !== service);
    if (p.flags['no-deps'] !== true && deps.length) {
      const code = await up.run({ flags: { detach: true }, args: deps }, g, ctx);
      if (code !== 0) return code;
    } else await ensureNetworksAndVolumes(api, proj, io);
    const image = await ensureImage(api, l, service, s, ctx, false);
    const [img] = await api.inspectImages([image]);
    // compose's applyRunOptions: the command line's command, entrypoint, user and workdir; no
    // service ports (only -p), no restart policy, no network aliases.
    const entry = p.flags['entrypoint'] !== undefined ? shellSplit(String(p.flags['entrypoint'])) : undefined;
    const one: ServiceConfig = { ...s, ports: [] };
    delete one.restart;
    if (cmd.length) one.command = cmd;
    else if (entry) delete one.command;
    if (entry) one.entrypoint = entry;
    if (p.flags['user'] !== undefined) one.user = String(p.flags['user']);
    if (p.flags['workdir'] !== undefined) one.working_dir = String(p.flags['workdir']);
    const hash = await configHash({ ...s, image, imageId: img?.['Id'] });
    const { parsed } = await runFlags(l, service, one, 1, image, hash);
    const id = slug();
    const f = parsed.flags;
    f['name'] = p.flags['name'] !== undefined ? String(p.flags['name']) : s.container_name ?? `${proj.name}-${service}-run-${id.slice(0, 12)}`;
    f['label'] = [...(f['label'] as string[]).filter((x) => !x.startsWith(`${LABEL}.oneoff=`)), `${LABEL}.oneoff=True`, `${LABEL}.slug=${id}`];
    f['network-alias'] = [];
    f['publish'] = (p.flags['publish'] as string[] | undefined) ?? [];
    f['env'] = [...(f['env'] as string[]), ...((p.flags['env'] as string[] | undefined) ?? [])];
    f['detach'] = p.flags['detach'] === true;
    f['rm'] = p.flags['rm'] === true;
    f['interactive'] = true;
    f['tty'] = wantsTty(p, io);
    return dockerRun.run(parsed, ctx);
  },
};
