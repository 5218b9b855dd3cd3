import { formatPlatform, isWasmPlatform, parsePlatform, platformMatches, type Platform } from '../../registry-client/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ImageRecord } from '../image-record.ts';
import type { RunOptions } from '../spec/run-options.ts';
import type { ContainerRecord } from './record.ts';
import type { ContainerRuntime } from './runtime.ts';
import type { GuestNetworkHost } from '../network/plan.ts';

export type Driver = ContainerRecord['Driver'];

/** Builds a runtime's process spec (config.json for the guest) from the record, its image and its files. */
export type SpecBuilder = (c: ContainerRecord, image: ImageRecord, readFile: (path: string) => Promise<string | undefined>) => Promise<Record<string, unknown>>;

/**
 * A runtime as the composition root registers it: the platforms it accepts, the name
 * `inspect` shows as Driver, how it turns a container into its process spec, the run
 * flags it cannot honour, and how to make it (called on first need: the guest boots only
 * when the first Linux container starts). containerd chooses its shims the same way.
 */
export interface RuntimeRegistration {
  driver: Driver;
  /** `os/arch[/variant]`: `linux/386`, `wasi/wasm`, `wasip1/wasm`. */
  platforms: readonly string[];
  buildSpec: SpecBuilder;
  /** Refuses, at create, the flags this runtime cannot apply (exit 125 with the reason). */
  checkOptions?(o: RunOptions): void;
  /** Whether its containers get networks (the guest: bridges, netns, ports); otherwise only `--network none`. */
  networking?: boolean;
  /** Where it writes a container's hostname, hosts and resolv.conf (inspect's `*Path`s). */
  filesDir?(id: string): string;
  open(env: RuntimeEnv): ContainerRuntime | Promise<ContainerRuntime>;
}

/** What the engine hands a runtime it opens. */
export interface RuntimeEnv {
  /** For runtimes with networking: serves each guest's egress and DNS. */
  network?: GuestNetworkHost;
}

/** The engine's runtimes: one lookup from an image's platform (or a record's Driver) to the runtime. */
export class Runtimes {
  private readonly made = new Map<Driver, Promise<ContainerRuntime>>();

  constructor(private readonly regs: readonly RuntimeRegistration[], private readonly env: RuntimeEnv = {}) {}

  /** What runs an image of `platform`, or a 125 naming the platform and what this engine runs. */
  forPlatform(platform: Platform): RuntimeRegistration {
    const reg = this.regs.find((r) => r.platforms.some((p) => platformMatches(parsePlatform(p), platform)));
    if (reg) return reg;
    const runs = this.regs.flatMap((r) => r.platforms);
    const hint = isWasmPlatform(platform) ? ' (WebAssembly components, WASI preview 2, are not supported yet)' : '';
    throw new TabdockError('UNSUPPORTED_PLATFORM',
      `image platform ${formatPlatform(platform)} cannot run here${hint}: this engine runs ${runs.length ? runs.join(', ') : 'no containers (no runtime is configured)'}`,
      { platform: formatPlatform(platform), supported: runs }, { exitCode: 125 });
  }

  /** The registration a container was created under. */
  forContainer(c: Pick<ContainerRecord, 'Id' | 'Driver'>): RuntimeRegistration {
    const reg = this.regs.find((r) => r.driver === c.Driver);
    if (!reg) throw new TabdockError('NO_RUNTIME', `container ${c.Id.slice(0, 12)} runs under ${c.Driver}, which this engine does not have`, { driver: c.Driver }, { exitCode: 125 });
    return reg;
  }

  /** The runtime itself, made on first need (a failed start is tried again next time). */
  runtime(reg: RuntimeRegistration): Promise<ContainerRuntime> {
    let r = this.made.get(reg.driver);
    if (!r) {
      r = Promise.resolve().then(() => reg.open(this.env));
      this.made.set(reg.driver, r);
      r.catch(() => this.made.delete(reg.driver));
    }
    return r;
  }

  /** The runtime for `platform`, made and readied now (the page restores the guest ahead of the first run). */
  async warmUp(platform: string): Promise<void> {
    const rt = await this.runtime(this.forPlatform(parsePlatform(platform)));
    await rt.warmUp?.();
  }

  /** The runtimes made so far (a network's removal reaches the guest only if it runs). */
  async running(): Promise<ContainerRuntime[]> {
    const out: ContainerRuntime[] = [];
    for (const r of this.made.values()) {
      const rt = await r.catch(() => undefined);
      if (rt) out.push(rt);
    }
    return out;
  }

  /** Disposes the runtimes that were made, in the reverse order of registration. */
  async dispose(): Promise<void> {
    let failure: { e: unknown } | undefined;
    for (const reg of [...this.regs].reverse()) {
      const rt = this.made.get(reg.driver);
      this.made.delete(reg.driver);
      await (await rt?.catch(() => undefined))?.dispose().catch((e: unknown) => void (failure ??= { e }));
    }
    if (failure) throw failure.e;
  }
}
