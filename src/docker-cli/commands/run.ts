import type { EngineApi } from '../../engine/api.ts';
import { RUN_FLAGS, parseRunOptions } from '../../engine/spec/run-flags.ts';
import { parseEnvFlag } from '../../engine/spec/env.ts';
import type { RunOptions } from '../../engine/spec/run-options.ts';
import { TabdockError, messageOf } from '../../shared/errors.ts';
import { exitCodeForError } from '../../engine/spec/exit-codes.ts';
import { parseReference } from '../../registry-client/reference.ts';
import type { FlagSpec, Parsed } from '../args.ts';
import type { Command } from '../command.ts';
import { untilInterrupt, type TerminalIo } from '../io.ts';
import { PullPrinter } from '../progress.ts';
import { DETACH_KEYS_FLAG, detachKeys, wireStdin } from './stdin.ts';

/** Docker's exit codes for `run`: 125 when the engine fails before the command runs. */
export const ENGINE_ERROR = 125;

/** A terminal without files (the page) refuses `--env-file` with a flag error that says why. */
function noFiles(): string {
  throw new Error('files are not available in this terminal (no file system to read --env-file from)');
}

/** The run options, or a flag error (125) for anything the flags or their files say wrong. */
function options(p: Parsed, io: TerminalIo): RunOptions {
  try {
    return parseRunOptions(p, { lookupEnv: (k) => io.env[k], readFile: io.readFile ? (f) => io.readFile!(f) : noFiles, cpuCount: 1 });
  } catch (e) {
    if (TabdockError.is(e) && e.code !== 'FLAG_ERROR') throw new TabdockError('FLAG_ERROR', e.message, e.data, { exitCode: e.exitCode ?? ENGINE_ERROR });
    throw e;
  }
}

/**
 * docker/cli's `CheckTty`: attaching a TTY's stdin needs a terminal to read it from; a
 * pipe or no input at all is refused at once (exit 1), never left waiting on a shell.
 */
export function checkTty(io: TerminalIo, interactive: boolean, tty: boolean): void {
  if (interactive && tty && !io.stdin?.isTTY) throw new TabdockError('CLI_ERROR', 'the input device is not a TTY', {});
}

/**
 * docker/cli's `reportError` for `run`: `PROG: MESSAGE.`, with the `--help` hint when the
 * container could not be created (not when it could not start); the status is 125, or the
 * 126/127 the error carries.
 */
function reportRunError(io: TerminalIo, prog: string, e: unknown, withHelp: boolean): number {
  if (!TabdockError.is(e) && !(e instanceof Error)) throw e;
  const text = messageOf(e).split('\n')[0]!.replace(/\.$/, '');
  // The CLI's own failures (a --cidfile that exists) are not the daemon's.
  const from = TabdockError.is(e, 'CLI_ERROR') ? '' : 'Error response from daemon: ';
  io.err(`${prog}: ${from}${text}.${withHelp ? `\nSee '${prog} run --help'.` : ''}\n`);
  if (io.env['TABDOCK_DEBUG']) io.err(`${e.stack}\n`);
  return exitCodeForError(e);
}

/** `--cidfile` (docker/cli `container/create.go` `newCIDFile`): the CLI's, not a container setting. */
const CIDFILE: FlagSpec = { name: 'cidfile', type: 'string', value: 'string', help: 'Write the container ID to the file' };

/**
 * docker/cli's cidFile: refused when the file exists (before anything is pulled or made),
 * made empty, filled with the ID once the container exists, removed if it was not made.
 */
async function withCidFile(io: TerminalIo, path: string | undefined, make: () => Promise<string>): Promise<string> {
  if (!path) return make();
  if (!io.files) throw new TabdockError('UNSUPPORTED', 'files are not available in this terminal (no file system to write --cidfile to)', { flag: 'cidfile' }, { exitCode: 125 });
  let made: boolean;
  try {
    made = io.files.create(path);
  } catch (e) {
    throw new TabdockError('CLI_ERROR', `failed to create the container ID file: ${messageOf(e)}`, {});
  }
  if (!made) throw new TabdockError('CLI_ERROR', `Container ID file found, make sure the other container isn't running or delete ${path}`, {});
  try {
    const id = await make();
    io.files.write(path, id);
    return id;
  } catch (e) {
    io.files.remove(path);
    throw e;
  }
}

/** docker run's `--sig-proxy` (cli/command/container/run.go AddRunFlags): not a container setting. */
const SIG_PROXY: FlagSpec = { name: 'sig-proxy', type: 'bool', help: 'Proxy received signals to the process (default true)' };

/**
 * docker's sig-proxy: while attached, Ctrl-C (SIGINT to the CLI) is sent to the container
 * and the CLI goes on waiting for it to exit. With `-it` the terminal is raw, so Ctrl-C is
 * a byte for the PTY instead and never arrives here.
 */
function proxySignals(api: EngineApi, id: string, io: TerminalIo): () => void {
  return io.onInterrupt?.(() => void api.killContainer(id, 'SIGINT').catch(() => {})) ?? (() => {});
}

/** create, pulling first as Docker does when the image is missing ("Unable to find image"). */
async function createWithPull(api: EngineApi, o: RunOptions, io: TerminalIo): Promise<string> {
  const ref = o.image;
  if (o.pull === 'always') await pullTo(api, ref, o, io);
  const create = async () => {
    const r = await api.createContainer({ image: ref, options: o });
    // The daemon's warnings (an emulated platform, ...), as the docker CLI prints them.
    for (const w of r.Warnings) io.err(`WARNING: ${w}\n`);
    return r.Id;
  };
  try {
    return await create();
  } catch (e) {
    if (!TabdockError.is(e, 'NO_SUCH_IMAGE') || o.pull === 'never') throw e;
    io.err(`Unable to find image '${parseReference(ref).familiar()}' locally\n`);
    await pullTo(api, ref, o, io);
    return await create();
  }
}

async function pullTo(api: EngineApi, ref: string, o: RunOptions, io: TerminalIo): Promise<void> {
  const r = parseReference(ref);
  io.err(`${r.digest ? r.digest.toString() : r.tag}: Pulling from ${r.repository}\n`);
  const printer = new PullPrinter(io.err, false);
  const s = await api.pull(ref, o.platform ? { platform: o.platform } : {}, printer.onEvent);
  io.err(`Digest: ${s.digest}\nStatus: Downloaded newer image for ${s.reference}\n`);
}

export const run: Command = {
  name: 'run',
  aliases: ['container run'],
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  flags: [...RUN_FLAGS, CIDFILE, SIG_PROXY, DETACH_KEYS_FLAG],
  stopAtPositional: true,
  args: [1, Infinity],
  async run(p, { io, engine, prog, config }) {
    const o = options(p, io);
    if (!o.detach) checkTty(io, o.interactive, o.tty);
    // Checked before anything is made (moby checks them at the attach, after the create).
    // config.json's detachKeys count only where the CLI attaches (docker/cli's attach options).
    const keys = detachKeys(p.flags['detach-keys'] ?? (o.detach ? undefined : config?.detachKeys));
    const api = await engine();
    let id: string;
    try {
      id = await withCidFile(io, p.flags['cidfile'] as string | undefined, () => createWithPull(api, o, io));
    } catch (e) {
      return reportRunError(io, prog, e, true);
    }
    if (o.detach) {
      try {
        await api.startContainer(id);
      } catch (e) {
        return reportRunError(io, prog, e, false);
      }
      io.out(`${id}\n`);
      return 0;
    }
    const attachment = await api.attachContainer(id, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
    // The detach keys (with -it) leave the container running: docker run then exits 0, silently.
    let onDetach!: () => void;
    const detached = new Promise<number>((r) => (onDetach = () => {
      // Said to the engine before the CLI exits (its `detach` event).
      void attachment.detach({ escape: true }).catch(() => {}).finally(() => r(0));
    }));
    const unwire = o.interactive ? wireStdin(attachment, io, o.tty, { detach: { keys, onDetach } }) : () => {};
    const unproxy = p.flags['sig-proxy'] !== false ? proxySignals(api, id, io) : () => {};
    try {
      const size = o.tty ? io.size?.() : undefined;
      try {
        await api.startContainer(id, size ?? {});
      } catch (e) {
        return reportRunError(io, prog, e, false);
      }
      return await Promise.race([api.waitContainer(id).then((r) => r.StatusCode), detached]);
    } finally {
      unproxy();
      unwire();
      // Ends the attach stream, so both sides of the transport release its handles now.
      void attachment.detach().catch(() => {});
    }
  },
};

export const create: Command = {
  name: 'create',
  aliases: ['container create'],
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  flags: [...RUN_FLAGS.filter((f) => f.name !== 'detach' && f.name !== 'rm'), CIDFILE],
  stopAtPositional: true,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const o = options(p, io);
    const api = await engine();
    io.out(`${await withCidFile(io, p.flags['cidfile'] as string | undefined, () => createWithPull(api, o, io))}\n`);
    return 0;
  },
};

export const exec: Command = {
  name: 'exec',
  aliases: ['container exec'],
  usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  flags: [
    { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY' },
    { name: 'detach', short: 'd', type: 'bool', help: 'Detached mode: run command in the background' },
    { name: 'env', short: 'e', type: 'list', value: 'list', help: 'Set environment variables' },
    { name: 'user', short: 'u', type: 'string', value: 'string', help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', help: 'Working directory inside the container' },
    DETACH_KEYS_FLAG,
  ],
  stopAtPositional: true,
  args: [2, Infinity],
  async run(p, { io, engine, config }) {
    const [ref, ...args] = p.args;
    // Refused, not half-done: the process's output would have nowhere to go once the CLI left.
    if (p.flags['detach'] === true) {
      throw new TabdockError('UNSUPPORTED', 'exec --detach is not supported yet: run the command attached, or start it in the background inside the container (sh -c "CMD &")', { flag: 'detach' }, { exitCode: 125 });
    }
    const tty = p.flags['tty'] === true;
    checkTty(io, p.flags['interactive'] === true, tty);
    const keys = detachKeys(p.flags['detach-keys'] ?? config?.detachKeys, 'escape');
    const size = tty ? io.size?.() : undefined;
    const h = await (await engine()).execContainer(ref!, {
      args, tty, interactive: p.flags['interactive'] === true, env: ((p.flags['env'] as string[] | undefined) ?? []).map((e) => parseEnvFlag(e, (k) => io.env[k])),
      ...(p.flags['user'] ? { user: String(p.flags['user']) } : {}), ...(p.flags['workdir'] ? { workdir: String(p.flags['workdir']) } : {}), ...(size ?? {}),
    }, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
    // The detach keys (with -it) leave the process running: docker's CLI ends with the EscapeError, exit 1.
    let onDetach!: () => void;
    const detached = new Promise<number>((r) => (onDetach = () => {
      io.err('read escape sequence\n');
      void h.detach({ escape: true }).catch(() => {}).finally(() => r(1));
    }));
    const unwire = p.flags['interactive'] === true ? wireStdin(h, io, tty, { detach: { keys, onDetach } }) : (h.closeStdin(), () => {});
    try {
      // docker exec proxies no signals: Ctrl-C ends the client and leaves the process running.
      return await untilInterrupt(io, Promise.race([h.wait(), detached]), () => void h.detach().catch(() => {}));
    } finally {
      unwire();
    }
  },
};

