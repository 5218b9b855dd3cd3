import { readFileSync } from 'node:fs';
import type { Attachment, EngineApi } from '../../engine/index.ts';
import { RUN_FLAGS, parseRunOptions } from '../../engine/spec/run-flags.ts';
import type { RunOptions } from '../../engine/spec/run-options.ts';
import { TabdockError } from '../../shared/errors.ts';
import { parseReference } from '../../registry-client/index.ts';
import type { Parsed } from '../args.ts';
import type { Io } from '../context.ts';
import { PullPrinter } from '../progress.ts';
import type { Command } from './command.ts';

/** Docker's exit codes for `run`: 125 when the engine fails before the command runs. */
export const ENGINE_ERROR = 125;

function options(p: Parsed, io: Io): RunOptions {
  return parseRunOptions(p, { lookupEnv: (k) => io.env[k], readFile: (f) => readFileSync(f, 'utf8'), cpuCount: 1 });
}

/** create, pulling first as Docker does when the image is missing ("Unable to find image"). */
async function createWithPull(api: EngineApi, o: RunOptions, io: Io): Promise<string> {
  const ref = o.image;
  if (o.pull === 'always') await pullTo(api, ref, o, io);
  try {
    return (await api.createContainer({ image: ref, options: o })).Id;
  } catch (e) {
    if (!TabdockError.is(e, 'NO_SUCH_IMAGE') || o.pull === 'never') throw e;
    io.err(`Unable to find image '${parseReference(ref).familiar()}' locally\n`);
    await pullTo(api, ref, o, io);
    return (await api.createContainer({ image: ref, options: o })).Id;
  }
}

async function pullTo(api: EngineApi, ref: string, o: RunOptions, io: Io): Promise<void> {
  const r = parseReference(ref);
  io.err(`${r.digest ? r.digest.toString() : r.tag}: Pulling from ${r.repository}\n`);
  const printer = new PullPrinter(io.err, false);
  const s = await api.pull(ref, o.platform ? { platform: o.platform } : {}, printer.onEvent);
  io.err(`Digest: ${s.digest}\nStatus: Downloaded newer image for ${s.reference}\n`);
}

/** Wires the terminal to an attachment: stdin, raw mode for -t, and window size. */
function wireStdin(a: Attachment, io: Io, tty: boolean): () => void {
  const stdin = io.stdin;
  if (!stdin) return () => {};
  const raw = tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onData = (d: Buffer) => void a.write(new Uint8Array(d));
  const onEnd = () => void a.closeStdin();
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.resume();
  const offResize = tty && io.onResize ? io.onResize(() => {
    const s = io.size?.();
    if (s) void a.resize(s.cols, s.rows);
  }) : () => {};
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    offResize();
  };
}

export const run: Command = {
  name: 'run',
  aliases: ['container run'],
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  flags: RUN_FLAGS,
  stopAtPositional: true,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    let o: RunOptions;
    try {
      o = options(p, io);
    } catch (e) {
      if (TabdockError.is(e)) throw new TabdockError('FLAG_ERROR', e.message, e.data);
      throw e;
    }
    const api = await engine();
    let id: string;
    try {
      id = await createWithPull(api, o, io);
    } catch (e) {
      throw asEngineError(e);
    }
    if (o.detach) {
      await api.startContainer(id).catch((e: unknown) => {
        throw asEngineError(e);
      });
      io.out(`${id}\n`);
      return 0;
    }
    const attachment = await api.attachContainer(id, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
    const unwire = o.interactive ? wireStdin(attachment, io, o.tty) : () => {};
    try {
      const size = o.tty ? io.size?.() : undefined;
      await api.startContainer(id, size ?? {}).catch((e: unknown) => {
        throw asEngineError(e);
      });
      const r = await api.waitContainer(id);
      return r.StatusCode;
    } finally {
      unwire();
    }
  },
};

export const create: Command = {
  name: 'create',
  aliases: ['container create'],
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  flags: RUN_FLAGS.filter((f) => f.name !== 'detach' && f.name !== 'rm'),
  stopAtPositional: true,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const o = options(p, io);
    io.out(`${await createWithPull(await engine(), o, io)}\n`);
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
  ],
  stopAtPositional: true,
  args: [2, Infinity],
  async run(p, { io, engine }) {
    const [ref, ...args] = p.args;
    const tty = p.flags['tty'] === true;
    const size = tty ? io.size?.() : undefined;
    const h = await (await engine()).execContainer(ref!, {
      args, tty, interactive: p.flags['interactive'] === true, env: (p.flags['env'] as string[] | undefined) ?? [],
      ...(p.flags['user'] ? { user: String(p.flags['user']) } : {}), ...(p.flags['workdir'] ? { workdir: String(p.flags['workdir']) } : {}), ...(size ?? {}),
    }, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
    if (p.flags['detach'] === true) return 0;
    const unwire = p.flags['interactive'] === true ? wireStdin(h, io, tty) : (h.closeStdin(), () => {});
    try {
      return await h.wait();
    } finally {
      unwire();
    }
  },
};

/** Failures before the container's command ran are the engine's: exit 125. */
function asEngineError(e: unknown): unknown {
  if (TabdockError.is(e) && e.data['exitCode'] === undefined) e.data['exitCode'] = ENGINE_ERROR;
  return e;
}
