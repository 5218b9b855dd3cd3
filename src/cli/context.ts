import type { Engine, EngineApi } from '../engine/index.ts';
import { connectDaemon } from './daemon/daemon.ts';
import { loadSettings } from './home.ts';

/** What a command gets: its output, its environment, and the engine (through the daemon). */
export interface Io {
  out(s: string | Uint8Array): void;
  err(s: string | Uint8Array): void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** The terminal or pipe behind `-i` (absent when the CLI runs embedded). */
  stdin?: NodeJS.ReadStream;
  /** Terminal size, and a subscription to its changes (SIGWINCH). */
  size?: () => { cols: number; rows: number } | undefined;
  onResize?: (f: () => void) => () => void;
}

export interface Ctx {
  io: Io;
  /** The engine: the daemon's, started on first need (`TABDOCK_DAEMON=off`: in this process). */
  engine(): Promise<EngineApi>;
  /** Closes what `engine()` opened. */
  dispose(): void;
}

/**
 * The Node composition root (open-engine.ts), loaded only by what runs an engine in this
 * process (the daemon, TABDOCK_DAEMON=off): a client command never loads the stores, the
 * emulator or the relay, so it starts in the time Node itself takes.
 */
export async function openEngine(...args: Parameters<typeof import('./open-engine.ts').openEngine>): Promise<Engine> {
  return (await import('./open-engine.ts')).openEngine(...args);
}

export function makeCtx(io: Io): Ctx {
  let engine: Promise<EngineApi> | undefined;
  let close: (() => void) | undefined;
  return {
    io,
    engine: () =>
      (engine ??= (async () => {
        if (io.env['TABDOCK_DAEMON'] === 'off') return openEngine(io.env);
        const settings = await loadSettings(io.env); // creates $TABDOCK_HOME, and checks daemon.json before the daemon does
        // A daemon about to start says here, on the user's terminal, when its guest will cold-boot.
        let d = await connectDaemon(io.env, { autostart: false });
        if (!d) {
          const { coldBootLine, guestBoot, guestSetting, makeSnapshotLine } = await import('./node-guest.ts');
          const boot = await guestBoot(guestSetting(io.env, settings));
          if (boot.kind === 'cold') io.err(`${coldBootLine(boot.reason)}\n`);
          if (boot.kind === 'make') io.err(`${makeSnapshotLine(boot)}\n`);
          d = (await connectDaemon(io.env))!;
        }
        close = d.close;
        return d.api;
      })()),
    dispose: () => close?.(),
  };
}
