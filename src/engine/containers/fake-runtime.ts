// A runtime for unit tests of the container lifecycle (not part of the public face): its
// processes end when the test says so, so every race of start/stop/kill/rm can be set up
// exactly. The real-guest tests in test/ cover the real runtimes.
import type { ContainerRuntime, ExecRequest, RuntimeExit, RuntimeProcess, StartRequest } from './runtime.ts';
import type { RuntimeRegistration } from './runtimes.ts';

/** A process whose exit the test controls. By default a signal ends it with 128 + signal, as a Linux process without handlers. */
export class FakeProcess implements RuntimeProcess {
  readonly exit: Promise<RuntimeExit>;
  readonly signals: number[] = [];
  readonly input: Uint8Array[] = [];
  stdinClosed = false;
  ended = false;
  /** What a signal does (default: end with 128 + signal); return without ending to ignore it. */
  onSignal: (sig: number, p: FakeProcess) => void = (sig, p) => p.end(128 + sig);
  private done!: (e: RuntimeExit) => void;
  private readonly listeners = new Set<(chunk: Uint8Array, fd: 1 | 2) => void>();

  constructor(readonly req: StartRequest | ExecRequest) {
    this.exit = new Promise((r) => (this.done = r));
  }

  /** Ends the process (the first end counts, as a process exits once). */
  end(code: number, more: Omit<RuntimeExit, 'code'> = {}): void {
    if (this.ended) return;
    this.ended = true;
    this.done({ code, ...more });
  }

  print(text: string, fd: 1 | 2 = 1): void {
    for (const l of this.listeners) l(new TextEncoder().encode(text), fd);
  }

  onOutput(l: (chunk: Uint8Array, fd: 1 | 2) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async write(d: Uint8Array): Promise<void> {
    this.input.push(d);
  }

  closeStdin(): void {
    this.stdinClosed = true;
  }

  async resize(): Promise<void> {}

  async kill(sig: number): Promise<void> {
    this.signals.push(sig);
    if (!this.ended) this.onSignal(sig, this);
  }
}

export class FakeRuntime implements ContainerRuntime {
  readonly started: FakeProcess[] = [];
  readonly execs: FakeProcess[] = [];
  private gate: Promise<void> | undefined;
  private entered: (() => void) | undefined;
  disposed = false;

  /** Holds the next starts half-way (as a booting guest holds them): `entered` when one is waiting, until `release()`. */
  hold(): { entered: Promise<void>; release: () => void } {
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    const entered = new Promise<void>((r) => (this.entered = r));
    return { entered, release: () => ((this.gate = undefined), release()) };
  }

  async start(req: StartRequest): Promise<FakeProcess> {
    this.entered?.();
    await this.gate;
    const p = new FakeProcess(req);
    this.started.push(p);
    return p;
  }

  async exec(req: ExecRequest): Promise<FakeProcess> {
    const p = new FakeProcess(req);
    this.execs.push(p);
    return p;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const p of this.started) p.end(137, { error: 'the runtime was disposed' });
  }

  /** The last process started (the test's handle on the running container). */
  get last(): FakeProcess {
    const p = this.started.at(-1);
    if (!p) throw new Error('nothing was started');
    return p;
  }
}

/** Registers `rt` for `linux/386` (config.json-free: its spec is the process's cwd and args). */
export function fakeRegistration(rt: FakeRuntime, platforms: readonly string[] = ['linux/386']): RuntimeRegistration {
  return {
    driver: 'tabdock-guest', platforms, open: () => rt,
    buildSpec: async (c) => ({ process: { args: [c.Path, ...c.Args], cwd: c.Config.WorkingDir || '/' } }),
  };
}
