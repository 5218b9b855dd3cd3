import { describe, expect, it } from 'vitest';
import { FakeScreen } from './fake-screen.ts';
import { OutputCapture } from './output-capture.ts';
import { Shell } from './shell.ts';
import type { DockerRunner, TerminalIo } from './terminal-io.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A shell on a fake screen; `commands` stand in for docker's subcommands. */
function setup(commands: Record<string, (args: string[], io: TerminalIo) => Promise<number> | number> = {}, cols = 80) {
  const screen = new FakeScreen(cols);
  const size = { cols, rows: 24 };
  const calls: string[][] = [];
  const run: DockerRunner = async (argv, io) => {
    calls.push(argv);
    const f = commands[argv[0] ?? ''];
    if (!f) {
      io.err(`docker: '${argv[0]}' is not a docker command.\n`);
      return 1;
    }
    return f(argv.slice(1), io);
  };
  const lines: [string, number][] = [];
  const shell = new Shell({ term: { write: screen.write, size: () => size }, run, onCommandLine: (l, s) => lines.push([l, s]) });
  shell.start();
  /** Types, then lets the shell and the fake commands run. */
  const type = async (data: string) => {
    shell.input(data);
    for (let i = 0; i < 5; i++) await tick();
  };
  return { screen, shell, calls, lines, type, size };
}

/** A command that stays until `finish` is called. */
function controllable() {
  let finish!: (n: number) => void;
  let io!: TerminalIo;
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  const run = (_args: string[], i: TerminalIo): Promise<number> => {
    io = i;
    ready();
    return new Promise<number>((r) => (finish = r));
  };
  return { run, started, finish: (n: number) => finish(n), io: () => io };
}

describe('Shell', () => {
  it('runs docker commands, with LF turned into CR LF, and prompts again', async () => {
    const { screen, calls, type, lines } = setup({ run: (_a, io) => (io.out('hello\nworld\n'), 0) });
    await type('docker run --rm busybox echo hello\r');
    expect(calls).toEqual([['run', '--rm', 'busybox', 'echo', 'hello']]);
    expect(screen.text()).toBe('tabdock $ docker run --rm busybox echo hello\nhello\nworld\ntabdock $');
    expect(lines).toEqual([['docker run --rm busybox echo hello', 0]]);
  });

  it('shows a non-zero status in the prompt, nothing for 0', async () => {
    const { screen, type, shell } = setup({ false: () => 3, true: () => 0 });
    await type('docker false\r');
    expect(screen.currentLine()).toBe('tabdock [3] $');
    expect(shell.status).toBe(3);
    await type('echo $?\r');
    expect(screen.text()).toContain('\n3\ntabdock $');
    await type('docker true\r');
    expect(screen.currentLine()).toBe('tabdock $');
  });

  it('starts the prompt on a new line after output without one', async () => {
    const { screen, type } = setup({ printf: (_a, io) => (io.out('no newline'), 0) });
    await type('docker printf\r');
    expect(screen.text().split('\n').slice(-2)).toEqual(['no newline', 'tabdock $']);
  });

  it('-t: raw keys, Ctrl-C and Ctrl-D included, go to the command; resize reaches it', async () => {
    const c = controllable();
    const { screen, type, size, shell } = setup({ run: c.run });
    await type('docker run -it busybox sh\r');
    await c.started;
    const got: string[] = [];
    let resized = 0;
    const io = c.io();
    io.stdin!.setRaw!(true);
    io.stdin!.onData((d) => got.push(decode(d)));
    io.onResize!(() => resized++);
    await type('echo $$\r');
    await type('\x03\x04\x1b[A');
    expect(got.join('')).toBe('echo $$\r\x03\x04\x1b[A');
    // Raw output passes unchanged (the PTY already ends lines with CR LF).
    io.out('/ # echo $$\r\n1\r\n');
    size.cols = 100;
    shell.resize();
    expect(resized).toBe(1);
    expect(io.size!()).toEqual({ cols: 100, rows: 24 });
    c.finish(3);
    await type('');
    expect(screen.text()).toContain('/ # echo $$\n1\ntabdock [3] $');
  });

  it('-t: Ctrl-P Ctrl-Q go to the command, whose detach keys they are (docker-cli detaches and tells the engine)', async () => {
    const c = controllable();
    const { screen, type, shell } = setup({ run: c.run });
    await type('docker run -it busybox sh\r');
    await c.started;
    const got: string[] = [];
    c.io().stdin!.setRaw!(true);
    c.io().stdin!.onData((d) => got.push(decode(d)));
    await type('\x10a');
    await type('\x10');
    await type('\x11');
    expect(got.join('')).toBe('\x10a\x10\x11');
    // The command decides: here it goes on until it ends, then the prompt comes on a line of its own.
    expect(shell.isBusy).toBe(true);
    c.io().out('/ # ');
    c.finish(0);
    await type('');
    expect(screen.currentLine()).toBe('tabdock $');
  });

  it('-i without -t: echoed lines, erase, Ctrl-D ends the input', async () => {
    const c = controllable();
    const { screen, type } = setup({ run: c.run });
    await type('docker run -i busybox cat\r');
    await c.started;
    const got: string[] = [];
    let ended = 0;
    c.io().stdin!.onData((d) => got.push(decode(d)));
    c.io().stdin!.onEnd(() => ended++);
    await type('abx\x7fc\r');
    expect(got).toEqual(['abc\n']);
    expect(screen.currentLine()).toBe('');
    expect(screen.text()).toBe('tabdock $ docker run -i busybox cat\nabc');
    await type('part\x04');
    expect(got).toEqual(['abc\n', 'part']);
    expect(ended).toBe(0);
    await type('\x04');
    expect(ended).toBe(1);
    c.finish(0);
    await type('');
    expect(screen.currentLine()).toBe('tabdock $');
  });

  it('keys typed before the command reads are its input', async () => {
    const c = controllable();
    const { type } = setup({ run: c.run });
    await type('docker run -it busybox sh\r');
    await c.started;
    await type('ls\r');
    const got: string[] = [];
    c.io().stdin!.setRaw!(true);
    c.io().stdin!.onData((d) => got.push(decode(d)));
    await type('');
    expect(got).toEqual(['ls\r']);
  });

  it('without -i: Ctrl-C interrupts; the third gives up as docker does', async () => {
    const c = controllable();
    const { screen, type, shell } = setup({ run: c.run });
    await type('docker run busybox sleep 100\r');
    await c.started;
    let interrupts = 0;
    c.io().onInterrupt!(() => interrupts++);
    await type('\x03');
    expect(interrupts).toBe(1);
    expect(screen.currentLine()).toBe('^C');
    await type('\x03\x03');
    expect(interrupts).toBe(2);
    expect(shell.isBusy).toBe(false);
    expect(shell.status).toBe(130);
    expect(screen.text()).toContain('got 3 SIGTERM/SIGINTs, forcefully exiting\ntabdock [130] $');
  });

  it('Ctrl-C with nobody handling it returns to the prompt at once', async () => {
    const c = controllable();
    const { screen, type, shell } = setup({ pull: c.run, true: () => 0 });
    await type('docker pull busybox && docker true\r');
    await c.started;
    await type('\x03');
    expect(shell.isBusy).toBe(false);
    expect(screen.text().split('\n').slice(-2)).toEqual(['^C', 'tabdock [130] $']);
    // The rest of the list does not run.
    c.finish(0);
    await type('');
    expect(screen.currentLine()).toBe('tabdock [130] $');
  });

  it('replays keys typed while a command ran without reading them', async () => {
    const c = controllable();
    const { type, calls } = setup({ pull: c.run, images: () => 0 });
    await type('docker pull busybox\r');
    await c.started;
    await type('docker images\r');
    expect(calls).toHaveLength(1);
    c.finish(0);
    await type('');
    expect(calls).toEqual([['pull', 'busybox'], ['images']]);
  });

  it('runs lists with ; && ||', async () => {
    const { calls, type } = setup({ false: () => 1, true: () => 0, a: () => 0, b: () => 0, c: () => 0 });
    await type('docker false && docker a || docker b; docker true || docker c\r');
    expect(calls.map((c) => c[0])).toEqual(['false', 'b', 'true']);
  });

  it('runs a pasted block line by line', async () => {
    const { calls, type } = setup({ a: () => 0, b: () => 0 });
    await type('docker a\r\ndocker b\r\n');
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('explains a command it does not run, and syntax errors', async () => {
    const { screen, type, shell } = setup();
    await type('ls -l\r');
    expect(screen.text()).toContain("tabdock: ls: command not found. This shell runs docker commands: try 'help'");
    expect(shell.status).toBe(127);
    await type("docker run 'x\r");
    expect(screen.text()).toContain("tabdock: unexpected EOF while looking for matching `''");
    await type('docker ps | wc -l\r');
    expect(screen.text()).toContain('tabdock: pipes are not supported here');
  });

  it('has help, history and clear', async () => {
    const { screen, type } = setup({ ps: () => 0 });
    await type('docker ps\r');
    await type('history\r');
    expect(screen.text()).toContain('  1  docker ps\n  2  history\n');
    await type('help\r');
    expect(screen.text()).toContain('docker run -it alpine sh');
    await type('clear\r');
    expect(screen.text().trim()).toBe('tabdock $');
  });

  it('Ctrl-C at the prompt drops the line with status 130; Ctrl-D on an empty line does nothing', async () => {
    const { screen, type, shell } = setup();
    await type('docker ps\x03');
    expect(screen.text()).toBe('tabdock $ docker ps^C\ntabdock [130] $');
    await type('\x04');
    expect(screen.text()).toBe('tabdock $ docker ps^C\ntabdock [130] $');
    expect(shell.isBusy).toBe(false);
  });

  it('submit() runs a line as if typed', async () => {
    const { screen, shell, calls } = setup({ run: (_a, io) => (io.out('hello\n'), 0) });
    expect(await shell.submit('docker run --rm busybox echo hello')).toBe(0);
    expect(calls).toEqual([['run', '--rm', 'busybox', 'echo', 'hello']]);
    expect(screen.text()).toBe('tabdock $ docker run --rm busybox echo hello\nhello\ntabdock $');
  });

  it('runLine() replaces what was typed and runs the line; refuses while a command runs', async () => {
    const c = controllable();
    const { screen, shell, calls, type } = setup({ build: (_a, io) => (io.out('built\n'), 0), wait: c.run });
    await type('docker ps -a');
    expect(await shell.runLine('docker build -t app .')).toBe(0);
    expect(calls).toEqual([['build', '-t', 'app', '.']]);
    expect(screen.text()).toBe('tabdock $ docker build -t app .\nbuilt\ntabdock $');
    await type('docker wait\r');
    await c.started;
    expect(shell.runLine('docker build -t app .')).toBe(false);
    c.finish(0);
    await type('');
    expect(calls).toEqual([['build', '-t', 'app', '.'], ['wait']]);
  });

  it('runLine() with a tee hands over stdout and stderr apart, as written, for that line only', async () => {
    const { screen, shell } = setup({
      ps: (args, io) => (io.out(`${args.join('|')}\n`), io.out(new TextEncoder().encode('日本').subarray(0, 4)), io.out(new TextEncoder().encode('日本').subarray(4)), io.err('warn\n'), io.out('\n'), 2),
    });
    const c = new OutputCapture();
    const status = await shell.runLine(`docker ps --format $'a\\tb' && echo no; echo "x y"; nope`, c.tee);
    expect(status).toBe(127);
    expect(c.result(127)).toEqual({
      status: 127,
      stdout: '--format|a\tb\n日本\nx y\n',
      stderr: "warn\ntabdock: nope: command not found. This shell runs docker commands: try 'help', or 'docker run -it busybox sh' for a Linux shell in a container.\n",
    });
    // The terminal showed both streams, as ever.
    expect(screen.text()).toMatch(/--format\|a\tb\n.*warn\n\nx y\ntabdock: nope/);
    const syntax = new OutputCapture();
    expect(await shell.runLine(`docker ps 'open`, syntax.tee)).toBe(2);
    expect(syntax.result(2)).toEqual({ status: 2, stdout: '', stderr: "tabdock: unexpected EOF while looking for matching `''\n" });
    // A later line typed at the prompt is not captured.
    await (shell.runLine('docker ps typed') as Promise<number>);
    expect(c.result(127).stdout).toBe('--format|a\tb\n日本\nx y\n');
  });

  it('keeps the history in its store', async () => {
    const saved: string[][] = [];
    const screen = new FakeScreen();
    const shell = new Shell({ term: { write: screen.write, size: () => ({ cols: 80, rows: 24 }) }, run: async () => 0, history: { load: () => ['docker ps'], save: (e) => saved.push([...e]) } });
    shell.start();
    shell.input('\x1b[A');
    expect(screen.currentLine()).toBe('tabdock $ docker ps');
    shell.input(' -a\r');
    expect(saved.at(-1)).toEqual(['docker ps', 'docker ps -a']);
  });
});
