import { describe, expect, it } from 'vitest';
import type { EngineApi } from '../engine/api.ts';
import { TabdockError } from '../shared/errors.ts';
import { COMMON_COMMANDS, runDocker, type DockerCtx, type InputSource, type TerminalIo } from './index.ts';

/** An engine that answers what a test gives it and fails loudly on anything else. */
function fakeEngine(impl: Partial<EngineApi>): EngineApi & { calls: string[] } {
  const calls: string[] = [];
  return new Proxy({ calls } as EngineApi & { calls: string[] }, {
    get(target, key: string) {
      if (key === 'calls') return calls;
      if (key === 'then') return undefined;
      const f = (impl as Record<string, unknown>)[key];
      if (typeof f !== 'function') throw new Error(`fake engine: ${key} not expected`);
      return (...args: unknown[]) => {
        calls.push(`${key} ${JSON.stringify(args.filter((a) => typeof a !== 'function'))}`);
        return (f as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
}

/** A terminal that records output and lets a test type, end input and press Ctrl-C. */
function terminal(o: { tty?: boolean; stdin?: boolean; files?: Record<string, string> } = {}) {
  const text = { out: '', err: '' };
  const dec = new TextDecoder();
  const data = new Set<(d: Uint8Array) => void>();
  const ends = new Set<() => void>();
  const interrupts = new Set<() => void>();
  const raw: boolean[] = [];
  const stdin: InputSource = {
    onData: (f) => (data.add(f), () => data.delete(f)),
    onEnd: (f) => (ends.add(f), () => ends.delete(f)),
    setRaw: (on) => raw.push(on),
    isTTY: o.tty ?? false,
  };
  const io: TerminalIo = {
    out: (s) => (text.out += typeof s === 'string' ? s : dec.decode(s)),
    err: (s) => (text.err += typeof s === 'string' ? s : dec.decode(s)),
    isTTY: o.tty ?? false,
    env: {},
    ...(o.stdin !== false ? { stdin } : {}),
    size: () => ({ cols: 80, rows: 24 }),
    onInterrupt: (f) => (interrupts.add(f), () => interrupts.delete(f)),
    ...(o.files ? { readFile: (p: string) => o.files![p] ?? fail(p) } : {}),
  };
  const fail = (p: string): never => {
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  };
  return {
    io, text, raw,
    type: (s: string) => data.forEach((f) => f(new TextEncoder().encode(s))),
    end: () => ends.forEach((f) => f()),
    interrupt: () => interrupts.forEach((f) => f()),
    listening: () => ({ data: data.size, interrupts: interrupts.size }),
  };
}

const ctx = (io: TerminalIo, api: EngineApi): DockerCtx => ({ io, prog: 'docker', engine: async () => api });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('runDocker: help, names and flag errors', () => {
  it('names the program it was invoked as', async () => {
    const t = terminal();
    expect(await runDocker([], ctx(t.io, fakeEngine({})))).toBe(0);
    expect(t.text.out).toMatch(/^Usage:  docker \[OPTIONS\] COMMAND\n/);
    expect(t.text.out).toContain("Run 'docker COMMAND --help' for more information on a command.\n");
    for (const c of COMMON_COMMANDS) expect(t.text.out).toContain(`  ${c.name}`);
    expect(t.text.out).not.toContain('  cp ');
  });

  it('says which command it does not know (exit 1)', async () => {
    const t = terminal();
    expect(await runDocker(['frobnicate'], ctx(t.io, fakeEngine({})))).toBe(1);
    expect(t.text.err).toBe("docker: 'frobnicate' is not a docker command.\nSee 'docker --help'\n");
  });

  it('prints a command’s usage for --help, before its positionals only for run', async () => {
    const t = terminal();
    expect(await runDocker(['run', '--help'], ctx(t.io, fakeEngine({})))).toBe(0);
    expect(t.text.out).toMatch(/^Usage:  docker run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate and run a new container from an image\n\nOptions:\n/);
    expect(t.text.out).toContain('      --sig-proxy ');
    expect(t.text.out).toContain('  -e, --env list ');
  });

  it('exits 125 on a flag error, with the --help hint', async () => {
    const t = terminal();
    expect(await runDocker(['pull', '--bogus', 'x'], ctx(t.io, fakeEngine({})))).toBe(125);
    expect(t.text.err).toBe("docker: unknown flag: --bogus\nSee 'docker pull --help'.\n");
  });

  it('exits 1 on a wrong argument count, with the usage and no prefix (cobra returns it as an error)', async () => {
    let t = terminal();
    expect(await runDocker(['logs'], ctx(t.io, fakeEngine({})))).toBe(1);
    expect(t.text.err).toBe(`"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n`);
    t = terminal();
    expect(await runDocker(['run'], ctx(t.io, fakeEngine({})))).toBe(1);
    expect(t.text.err).toBe(`"docker run" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n`);
  });

  it('refuses -it at once (exit 1) when the input is not a terminal or there is none, before asking the engine', async () => {
    for (const argv of [['run', '-it', 'busybox', 'sh'], ['run', '-i', '-t', '--rm', 'busybox'], ['exec', '-it', 'c1', 'sh']]) {
      for (const t of [terminal({ tty: false }), terminal({ stdin: false })]) {
        expect(await runDocker(argv, ctx(t.io, fakeEngine({})))).toBe(1);
        expect(t.text).toEqual({ out: '', err: 'the input device is not a TTY\n' });
      }
    }
  });

  it('refuses --env-file where there are no files, as a flag error that says so', async () => {
    const t = terminal();
    expect(await runDocker(['run', '--env-file', 'a.env', 'busybox'], ctx(t.io, fakeEngine({})))).toBe(125);
    expect(t.text.err).toBe("docker: open a.env: files are not available in this terminal (no file system to read --env-file from).\nSee 'docker run --help'.\n");
  });

  it('reads --env-file through the terminal when it has files', async () => {
    const t = terminal({ files: { 'a.env': 'A=1\n' } });
    let env: string[] = [];
    const api = fakeEngine({
      createContainer: async (req) => ((env = req.options.env), { Id: 'c1', Warnings: [] }),
      startContainer: async () => {},
    });
    expect(await runDocker(['run', '-d', '--env-file', 'a.env', 'busybox'], ctx(t.io, api))).toBe(0);
    expect(env).toEqual(['A=1']);
    expect(t.text.out).toBe('c1\n');
    t.text.err = '';
    expect(await runDocker(['run', '--env-file', 'b.env', 'busybox'], ctx(t.io, api))).toBe(125);
    expect(t.text.err).toBe("docker: open b.env: no such file or directory.\nSee 'docker run --help'.\n");
  });
});

describe('runDocker: errors from the engine', () => {
  it('prints one line, prefixed by the program for run, and exits 125 for run, 1 otherwise', async () => {
    const noImage = async () => {
      throw new TabdockError('PULL_FAILED', 'pull access denied for nothere\nsecond line', {});
    };
    let t = terminal();
    expect(await runDocker(['run', '--pull', 'always', 'nothere'], ctx(t.io, fakeEngine({ pull: noImage })))).toBe(125);
    expect(t.text.err).toBe("latest: Pulling from library/nothere\ndocker: Error response from daemon: pull access denied for nothere.\nSee 'docker run --help'.\n");
    t = terminal();
    expect(await runDocker(['pull', 'nothere'], ctx(t.io, fakeEngine({ pull: noImage })))).toBe(1);
    expect(t.text.err).toBe('Error response from daemon: pull access denied for nothere\n');
  });

  it('passes on the exit code an engine error carries (126/127 from run)', async () => {
    const t = terminal();
    const api = fakeEngine({
      createContainer: async () => ({ Id: 'c1', Warnings: [] }),
      attachContainer: async () => ({ write: async () => {}, closeStdin: async () => {}, resize: async () => {}, detach: async () => {} }),
      startContainer: async () => {
        throw new TabdockError('EXEC_NOT_FOUND', 'exec: "nope": executable file not found in $PATH', {}, { exitCode: 127 });
      },
    });
    expect(await runDocker(['run', 'busybox', 'nope'], ctx(t.io, api))).toBe(127);
    expect(t.text.err).toBe('docker: Error response from daemon: exec: "nope": executable file not found in $PATH.\n');
  });

  it('a name in use: run exits 125 with the --help hint, create exits 1 with the daemon\'s line (docker/cli run.go, create.go)', async () => {
    const conflict = async (): Promise<never> => {
      throw new TabdockError('CONFLICT', 'Conflict. The container name "/web" is already in use by container "c0". You have to remove (or rename) that container to be able to reuse that name.', {}, { exitCode: 125 });
    };
    let t = terminal();
    expect(await runDocker(['run', '--name', 'web', 'busybox'], ctx(t.io, fakeEngine({ createContainer: conflict })))).toBe(125);
    expect(t.text.err).toBe(`docker: Error response from daemon: Conflict. The container name "/web" is already in use by container "c0". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n`);
    t = terminal();
    expect(await runDocker(['create', '--name', 'web', 'busybox'], ctx(t.io, fakeEngine({ createContainer: conflict })))).toBe(1);
    expect(t.text.err).toBe(`Error response from daemon: Conflict. The container name "/web" is already in use by container "c0". You have to remove (or rename) that container to be able to reuse that name.\n`);
  });

  it('rm of a missing container says "Error: No such container"; with -f that is no failure (exit 0)', async () => {
    const api = fakeEngine({
      removeContainer: async (ref) => {
        if (ref !== 'here') throw new TabdockError('NO_SUCH_CONTAINER', `No such container: ${ref}`, { ref });
        return ref;
      },
    });
    let t = terminal();
    expect(await runDocker(['rm', '-f', 'gone', 'here'], ctx(t.io, api))).toBe(0);
    expect(t.text).toEqual({ out: 'here\n', err: 'Error: No such container: gone\n' });
    t = terminal();
    expect(await runDocker(['rm', 'gone'], ctx(t.io, api))).toBe(1);
    expect(t.text).toEqual({ out: '', err: 'Error: No such container: gone\n' });
  });
});

/** A container that runs until it is signalled or told to exit. */
function liveContainer(o: { exitOnSigint?: number } = {}) {
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => (exit = r));
  const written: string[] = [];
  let onOut: (chunk: Uint8Array, fd: 1 | 2) => void = () => {};
  const api = fakeEngine({
    createContainer: async () => ({ Id: 'c1', Warnings: [] }),
    attachContainer: async (_ref, f) => {
      onOut = f;
      return {
        write: async (d) => void written.push(new TextDecoder().decode(d)),
        closeStdin: async () => void written.push('<EOF>'),
        resize: async () => {},
        detach: async () => {},
      };
    },
    startContainer: async () => {},
    waitContainer: async () => ({ StatusCode: await exited }),
    killContainer: async (_ref, sig) => {
      if (sig === 'SIGINT' && o.exitOnSigint !== undefined) exit(o.exitOnSigint);
      return 'c1';
    },
  });
  return { api, exit, written, print: (s: string, fd: 1 | 2 = 1) => onOut(new TextEncoder().encode(s), fd) };
}

describe('run attached', () => {
  it('forwards Ctrl-C to the container as SIGINT (sig-proxy) and keeps waiting for its exit', async () => {
    const t = terminal();
    const c = liveContainer({ exitOnSigint: 130 });
    const done = runDocker(['run', 'busybox', 'sleep', '100'], ctx(t.io, c.api));
    await tick();
    c.print('working\n');
    t.interrupt();
    expect(await done).toBe(130);
    expect(c.api.calls).toContain('killContainer ["c1","SIGINT"]');
    expect(t.text.out).toBe('working\n');
    expect(t.listening().interrupts).toBe(0);
  });

  it('does not forward with --sig-proxy=false', async () => {
    const t = terminal();
    const c = liveContainer({ exitOnSigint: 130 });
    const done = runDocker(['run', '--sig-proxy=false', 'busybox', 'true'], ctx(t.io, c.api));
    await tick();
    expect(t.listening().interrupts).toBe(0);
    c.exit(0);
    expect(await done).toBe(0);
  });

  it('-i: input goes to the container, end of input closes its stdin, no raw mode', async () => {
    const t = terminal();
    const c = liveContainer();
    const done = runDocker(['run', '-i', 'busybox', 'cat'], ctx(t.io, c.api));
    await tick();
    t.type('hello\n');
    t.end();
    c.exit(0);
    expect(await done).toBe(0);
    expect(c.written).toEqual(['hello\n', '<EOF>']);
    expect(t.raw).toEqual([]);
    expect(t.listening()).toEqual({ data: 0, interrupts: 0 });
  });

  it('-it: raw mode while attached, Ctrl-C travels as a byte', async () => {
    const t = terminal({ tty: true });
    const c = liveContainer();
    const done = runDocker(['run', '-it', 'busybox', 'sh'], ctx(t.io, c.api));
    await tick();
    t.type('\x03');
    c.exit(0);
    expect(await done).toBe(0);
    expect(c.written).toEqual(['\x03']);
    expect(t.raw).toEqual([true, false]);
    expect(c.api.calls.find((x) => x.startsWith('startContainer'))).toBe('startContainer ["c1",{"cols":80,"rows":24}]');
  });

  it('-d prints the ID and attaches nothing', async () => {
    const t = terminal();
    const c = liveContainer();
    expect(await runDocker(['run', '-d', 'busybox'], ctx(t.io, c.api))).toBe(0);
    expect(t.text.out).toBe('c1\n');
    expect(c.api.calls.some((x) => x.startsWith('attachContainer'))).toBe(false);
  });
});

describe('commands that block end with 130 on Ctrl-C', () => {
  it('logs -f, and shows nothing the engine sends after', async () => {
    const t = terminal();
    let entry: (s: 'stdout' | 'stderr', d: Uint8Array, time: string) => void = () => {};
    const api = fakeEngine({ containerLogs: (_r, _o, f) => ((entry = f), new Promise<void>(() => {})) });
    const done = runDocker(['logs', '-f', 'c1'], ctx(t.io, api));
    await tick();
    entry('stdout', new TextEncoder().encode('one\n'), 't');
    t.interrupt();
    expect(await done).toBe(130);
    entry('stdout', new TextEncoder().encode('two\n'), 't');
    expect(t.text.out).toBe('one\n');
  });

  it('wait prints each exit code, or ends on Ctrl-C', async () => {
    let t = terminal();
    const api = fakeEngine({ waitContainer: async (ref) => ({ StatusCode: ref === 'a' ? 0 : 3 }) });
    expect(await runDocker(['wait', 'a', 'b'], ctx(t.io, api))).toBe(0);
    expect(t.text.out).toBe('0\n3\n');
    t = terminal();
    const done = runDocker(['wait', 'a'], ctx(t.io, fakeEngine({ waitContainer: () => new Promise(() => {}) })));
    await tick();
    t.interrupt();
    expect(await done).toBe(130);
  });

  it('exec returns the process’s status, or detaches on Ctrl-C', async () => {
    const t = terminal();
    let finish!: (n: number) => void;
    let detached = false;
    const api = fakeEngine({
      execContainer: async (_r, _req, out) => {
        out(new TextEncoder().encode('hi\n'), 1);
        return { write: async () => {}, closeStdin: async () => {}, resize: async () => {}, detach: async () => void (detached = true), wait: () => new Promise<number>((r) => (finish = r)) };
      },
    });
    const done = runDocker(['exec', 'c1', 'sh', '-c', 'exit 4'], ctx(t.io, api));
    await tick();
    finish(4);
    expect(await done).toBe(4);
    expect(t.text.out).toBe('hi\n');
    const again = runDocker(['exec', 'c1', 'sleep', '9'], ctx(t.io, api));
    await tick();
    t.interrupt();
    expect(await again).toBe(130);
    expect(detached).toBe(true);
  });
});

describe('output', () => {
  it('ps: docker’s columns', async () => {
    const t = terminal();
    const now = new Date(Date.now() - 330_000).toISOString();
    const api = fakeEngine({
      listContainers: async () => [{ Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:x', Command: 'sleep 300', Created: now, State: 'running', Status: '', StartedAt: now, FinishedAt: '', ExitCode: 0, Ports: [] }],
    });
    expect(await runDocker(['ps'], ctx(t.io, api))).toBe(0);
    expect(t.text.out).toBe(
      'CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS         PORTS     NAMES\n' +
      'aaaaaaaaaaaa   busybox   "sleep 300"   5 minutes ago   Up 5 minutes             web\n',
    );
  });

  it('prune without a terminal to ask at says to use -f, naming the program', async () => {
    const t = terminal({ tty: false });
    expect(await runDocker(['image', 'prune'], ctx(t.io, fakeEngine({})))).toBe(1);
    expect(t.text.err).toBe('docker image prune: stdin is not a terminal, so it cannot ask for confirmation; use -f (--force) to prune without asking\n');
  });

  it('prune on a terminal asks and reads the answer (Enter may come as \\r)', async () => {
    const t = terminal({ tty: true });
    const api = fakeEngine({ pruneContainers: async () => ({ deleted: ['c1'], reclaimed: 1234 }) });
    const done = runDocker(['container', 'prune'], ctx(t.io, api));
    await tick();
    expect(t.text.out).toBe('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    t.type('y\r');
    expect(await done).toBe(0);
    expect(t.text.out).toContain('Deleted Containers:\nc1\n\nTotal reclaimed space: 1.234kB\n');
    expect(t.listening().data).toBe(0);
  });

  it('version: the product, and what it runs on when the caller says', async () => {
    const t = terminal();
    expect(await runDocker(['--version'], { ...ctx(t.io, fakeEngine({})), runtime: 'Chromium 131' })).toBe(0);
    expect(t.text.out).toBe('tabdock version 0.1.0\nChromium 131\n');
  });
});
