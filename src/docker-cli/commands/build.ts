import { contextFromTar, MemoryContext, packContext } from '../../build/context-tar.ts';
import { dockerignoreCandidates, readDockerignore, type ContextSource } from '../../build/index.ts';
import type { BuildEvent, BuildRequest } from '../../engine/api.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { stdinBytes, type TerminalIo } from '../io.ts';
import { confirmed, forceFlag, report } from './prune.ts';

/** `KEY=VALUE` list flags (`--build-arg`, `--label`); a bare `KEY` of --build-arg takes the client's environment, and is left out when unset (docker/cli). */
function keyValues(list: readonly string[], env?: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i < 0) {
      if (!env) out[kv] = '';
      else if (env[kv] !== undefined) out[kv] = env[kv]!;
      continue;
    }
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

async function readAll(next: () => Promise<Uint8Array | undefined>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (let c = await next(); c; c = await next()) {
    parts.push(c);
    n += c.byteLength;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function isTar(b: Uint8Array): 'gzip' | 'tar' | undefined {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.byteLength >= 262 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar') return 'tar';
  return undefined;
}

async function tarContext(bytes: Uint8Array, kind: 'gzip' | 'tar'): Promise<MemoryContext> {
  let stream: ReadableStream<Uint8Array> = new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) });
  if (kind === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const reader = stream.getReader();
  return contextFromTar(async () => (await reader.read()).value ?? null);
}

const prepare = (m: string) => new TabdockError('CLI_ERROR', `unable to prepare context: ${m}`, {});

/** The context and the Dockerfile's text, as docker/cli's build finds them. */
async function resolveContext(io: TerminalIo, arg: string, file: string | undefined): Promise<{ ctx: ContextSource; dockerfile: string; dockerfileName: string }> {
  let ctx: ContextSource;
  let stdinDockerfile: string | undefined;
  if (arg === '-') {
    if (file === '-') throw prepare('invalid argument: can\'t use stdin for both build context and dockerfile');
    const bytes = await readAll(stdinBytes(io));
    const kind = isTar(bytes);
    if (kind) ctx = await tarContext(bytes, kind);
    else {
      // `docker build - < Dockerfile`: stdin is the Dockerfile and there is no context.
      ctx = new MemoryContext();
      stdinDockerfile = new TextDecoder().decode(bytes);
    }
  } else if (/^(https?|git):\/\//.test(arg) || arg.startsWith('git@')) {
    throw prepare(`building from a URL (${arg}) is not supported: give a directory, or - for a tar on stdin`);
  } else {
    if (!io.buildContext) throw prepare('this terminal has no files to send as the context; give - and a tar on stdin');
    ctx = await io.buildContext(arg);
  }
  if (stdinDockerfile !== undefined) return { ctx, dockerfile: stdinDockerfile, dockerfileName: 'Dockerfile' };
  if (file === '-') return { ctx, dockerfile: new TextDecoder().decode(await readAll(stdinBytes(io))), dockerfileName: 'Dockerfile' };
  if (file !== undefined && io.readFile && arg !== '-') {
    // -f names a file as the shell sees it (docker/cli), inside the context or not.
    try {
      return { ctx, dockerfile: io.readFile(file), dockerfileName: file.split('/').pop()! };
    } catch {
      throw new TabdockError('CLI_ERROR', `unable to prepare context: the Dockerfile (${file}) cannot be read: no such file or directory`, {});
    }
  }
  const names = file !== undefined ? [file.replace(/^\.\//, '')] : ['Dockerfile', 'dockerfile'];
  for (const n of names) {
    const e = await ctx.stat(n);
    if (e?.type === 'file') return { ctx, dockerfile: new TextDecoder().decode(await ctx.read(n)), dockerfileName: n };
  }
  throw new TabdockError('CLI_ERROR', `failed to solve: failed to read dockerfile: open ${names[0]}: no such file or directory`, {});
}

/** BuildKit's plain progress (progressui printer): `#N name`, its lines, `#N DONE 0.1s`. */
class PlainPrinter {
  private readonly seen = new Set<number>();
  private last = -1;
  readonly logs = new Map<number, string[]>();

  constructor(private readonly write: (s: string) => void, private readonly timed: (id: number) => boolean) {}

  private head(id: number, name: string): void {
    if (this.last !== id) {
      if (this.last !== -1) this.write('\n');
      this.last = id;
    }
    if (!this.seen.has(id)) {
      this.seen.add(id);
      this.write(`#${id} ${name}\n`);
    }
  }

  onEvent = (e: BuildEvent, name: (id: number) => string): void => {
    if (e.type === 'warning') return;
    if (e.type === 'log') {
      this.head(e.id, name(e.id));
      this.write(this.timed(e.id) ? `#${e.id} ${e.at.toFixed(3)} ${e.text}\n` : `#${e.id} ${e.text}\n`);
      return;
    }
    this.head(e.id, e.name);
    if (e.state === 'cached') this.write(`#${e.id} CACHED\n`);
    else if (e.state === 'done') this.write(`#${e.id} DONE ${((e.ms ?? 0) / 1000).toFixed(1)}s\n`);
    else if (e.state === 'error') this.write(`#${e.id} ERROR: ${e.error}\n`);
  };
}

/**
 * BuildKit's tty display, without redrawing: each step's line once it ends (` => [2/3] RUN
 * ... 1.2s`, `CACHED`), its output only when it failed, then the `[+] Building` summary.
 */
class TtyPrinter {
  private done = 0;
  private total = 0;
  private readonly t0 = Date.now();

  constructor(private readonly write: (s: string) => void) {}

  onEvent = (e: BuildEvent): void => {
    if (e.type !== 'vertex') return;
    if (e.state === 'started') {
      this.total++;
      return;
    }
    if (e.state === 'cached' || (e.state === 'done' && e.ms === 0)) this.total++;
    this.done++;
    const time = e.state === 'cached' ? '' : `${((e.ms ?? 0) / 1000).toFixed(1)}s`;
    const label = `${e.state === 'error' ? ' => ERROR ' : ' => '}${e.state === 'cached' ? 'CACHED ' : ''}${e.name}`;
    this.write(`${label.padEnd(70)} ${time}\n`);
  };

  finish(ok: boolean): void {
    this.write(`[+] Building ${((Date.now() - this.t0) / 1000).toFixed(1)}s (${this.done}/${this.total}) ${ok ? 'FINISHED' : 'FAILED'}\n`);
  }
}

/** The Dockerfile's lines around a failing one, as BuildKit prints them under an error. */
function excerpt(name: string, text: string, line: number, endLine: number): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const from = Math.max(1, line - 2);
  const to = Math.min(lines.length, endLine + 2);
  let out = `${name}:${line === endLine ? line : `${line}-${endLine}`}\n--------------------\n`;
  for (let i = from; i <= to; i++) out += `${String(i).padStart(4)} | ${i >= line && i <= endLine ? '>>> ' : '    '}${lines[i - 1] ?? ''}\n`;
  return out + '--------------------\n';
}

export const build: Command = {
  name: 'build',
  aliases: ['image build', 'builder build', 'buildx build'],
  usage: 'build [OPTIONS] PATH | -',
  description: 'Build an image from a Dockerfile',
  flags: [
    { name: 'tag', short: 't', type: 'list', value: 'list', help: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'file', short: 'f', type: 'string', value: 'string', help: 'Name of the Dockerfile (default: "PATH/Dockerfile")' },
    { name: 'build-arg', type: 'list', value: 'list', help: 'Set build-time variables' },
    { name: 'target', type: 'string', value: 'string', help: 'Set the target build stage to build' },
    { name: 'no-cache', type: 'bool', help: 'Do not use cache when building the image' },
    { name: 'pull', type: 'bool', help: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the build output and print image ID on success' },
    { name: 'progress', type: 'string', value: 'string', help: 'Set type of progress output ("auto", "plain", "tty", "quiet")' },
    { name: 'platform', type: 'string', value: 'string', help: 'Set platform if server is multi-platform capable' },
    { name: 'label', type: 'list', value: 'list', help: 'Set metadata for an image' },
    { name: 'network', type: 'string', value: 'string', help: 'Set the networking mode for the RUN instructions during build (default "default")' },
    { name: 'iidfile', type: 'string', value: 'string', help: 'Write the image ID to the file' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const progress = (p.flags['progress'] as string | undefined) ?? 'auto';
    if (!['auto', 'plain', 'tty', 'quiet'].includes(progress)) throw new TabdockError('CLI_ERROR', `invalid progress mode "${progress}": tabdock prints "auto", "plain", "tty" or "quiet"`, {});
    const quiet = p.flags['quiet'] === true || progress === 'quiet';
    const network = (p.flags['network'] as string | undefined) ?? 'default';
    if (!['default', 'none', 'host', 'bridge'].includes(network)) {
      throw new TabdockError('CLI_ERROR', `network mode "${network}" not supported by buildkit: RUN steps take default, none or host`, {});
    }
    const iidfile = p.flags['iidfile'] as string | undefined;
    if (iidfile !== undefined && !io.files) throw new TabdockError('CLI_ERROR', '--iidfile: this terminal has no files to write to', {});
    const { ctx, dockerfile, dockerfileName } = await resolveContext(io, p.args[0]!, p.flags['file'] as string | undefined);
    // .dockerignore (or <Dockerfile>.dockerignore) from the context, applied here as docker/cli does.
    let patterns: string[] = [];
    let ignoreFileSize: number | undefined;
    for (const cand of dockerignoreCandidates(dockerfileName)) {
      const e = await ctx.stat(cand);
      if (e?.type !== 'file') continue;
      const bytes = await ctx.read(cand);
      ignoreFileSize = bytes.byteLength;
      patterns = readDockerignore(new TextDecoder().decode(bytes));
      break;
    }
    const req: BuildRequest = {
      dockerfile, dockerfileName,
      ...(ignoreFileSize !== undefined ? { ignoreFileSize } : {}),
      tags: (p.flags['tag'] as string[] | undefined) ?? [],
      buildArgs: keyValues((p.flags['build-arg'] as string[] | undefined) ?? [], io.env),
      ...(p.flags['target'] ? { target: p.flags['target'] as string } : {}),
      noCache: p.flags['no-cache'] === true,
      pull: p.flags['pull'] === true,
      labels: keyValues((p.flags['label'] as string[] | undefined) ?? []),
      ...(p.flags['platform'] ? { platform: p.flags['platform'] as string } : {}),
      network: network === 'bridge' ? 'default' : network,
    };
    const reader = packContext(ctx, patterns).getReader();
    // The tar in pieces of 1 MiB at most (small ones gathered, big ones cut): each `next`
    // crosses the transport once, under its message size limit.
    const PIECE = 1 << 20;
    let held: Uint8Array | undefined;
    const next = async (): Promise<Uint8Array | null> => {
      const out = new Uint8Array(PIECE);
      let n = 0;
      while (n < PIECE) {
        if (!held || held.byteLength === 0) {
          const r = await reader.read();
          if (r.done) break;
          held = r.value;
        }
        const take = Math.min(PIECE - n, held.byteLength);
        out.set(held.subarray(0, take), n);
        held = held.subarray(take);
        n += take;
      }
      return n === 0 ? null : out.subarray(0, n);
    };
    // Progress goes to stderr, as BuildKit's does; `-q` prints only the ID, on stdout.
    const tty = progress === 'tty' || (progress === 'auto' && io.isTTY);
    const names = new Map<number, string>();
    const warnings: string[] = [];
    const plain = new PlainPrinter((s) => io.err(s), (id) => !/^(\[internal\]|exporting)/.test(names.get(id) ?? ''));
    const ttyp = new TtyPrinter((s) => io.err(s));
    const failedLogs = new Map<number, string[]>();
    const onEvent = (e: BuildEvent) => {
      if (e.type === 'vertex') names.set(e.id, e.name);
      if (e.type === 'warning') return void warnings.push(e.text);
      if (e.type === 'log') {
        const l = failedLogs.get(e.id) ?? [];
        l.push(`${e.at.toFixed(3)} ${e.text}`);
        if (l.length > 10) l.shift();
        failedLogs.set(e.id, l);
      }
      if (quiet) return;
      if (tty) ttyp.onEvent(e);
      else {
        if (e.type === 'vertex' && e.id === 1 && e.state === 'started') io.err('#0 building with "default" instance using docker driver\n\n');
        plain.onEvent(e, (id) => names.get(id) ?? '');
      }
    };
    try {
      const r = await (await engine()).build(req, next, onEvent);
      if (!quiet && tty) ttyp.finish(true);
      else if (!quiet) io.err('\n');
      if (warnings.length && !quiet) io.err(` ${warnings.length} warning${warnings.length > 1 ? 's' : ''} found:\n${warnings.map((w) => ` - ${w}\n`).join('')}`);
      if (quiet) io.out(`${r.id}\n`);
      if (iidfile !== undefined) io.files!.write(iidfile, r.id);
      return 0;
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (!quiet && tty) ttyp.finish(false);
      if (!TabdockError.is(e)) throw e;
      const line = typeof e.data['line'] === 'number' ? (e.data['line'] as number) : undefined;
      const endLine = typeof e.data['endLine'] === 'number' ? (e.data['endLine'] as number) : line;
      const vertex = e.data['vertex'] as string | undefined;
      let out = quiet ? '' : '\n';
      if (vertex) {
        const id = [...names].find(([, n]) => n === vertex)?.[0];
        out += `------\n > ${vertex}:\n${(id !== undefined ? failedLogs.get(id) ?? [] : []).map((l) => `${l}\n`).join('')}------\n`;
      }
      if (line !== undefined) out += excerpt(dockerfileName, dockerfile, line, endLine ?? line);
      out += `ERROR: failed to solve: ${e.message}\n`;
      io.err(out);
      return 1;
    }
  },
};

export const builderPrune: Command = {
  name: 'builder prune',
  aliases: ['buildx prune'],
  usage: 'builder prune [OPTIONS]',
  description: 'Remove build cache',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all unused build cache, not just dangling ones' }, forceFlag],
  args: [0, 0],
  async run(p, ctx) {
    const all = p.flags['all'] === true;
    const ok = await confirmed(ctx, p.flags['force'] === true, `WARNING! This will remove all ${all ? '' : 'dangling '}build cache.`, 'builder prune');
    if (ok !== true) return ok;
    const r = await (await ctx.engine()).pruneBuildCache({ all });
    report(ctx.io, 'Deleted build cache objects:', r.deleted, r.reclaimed);
    return 0;
  },
};
