import type { EngineApi } from '../engine/api.ts';
import type { FlagSpec, Parsed } from '../shared/flags.ts';
import type { CliConfig } from './cli-config.ts';
import type { TerminalIo } from './io.ts';

/** What a command gets: the terminal, the engine (opened on first need), and the program's name. */
export interface DockerCtx {
  io: TerminalIo;
  engine(): Promise<EngineApi>;
  /** How the user invoked it, for messages and usage: `docker` in the page, `tabdock` in Node. */
  prog: string;
  /** What the commands run on, for `version` (e.g. `Node v20.19.0 (linux/x64)`). */
  runtime?: string;
  /** The user's config.json settings (default formats, detach keys); none in the page. */
  config?: CliConfig;
}

/** One docker command: its name (`image prune`), aliases, flags and positional arity. */
export interface Command<C extends DockerCtx = DockerCtx> {
  name: string;
  aliases?: string[];
  /** After `Usage:  PROG `. */
  usage: string;
  description: string;
  flags: FlagSpec[];
  /** Flags end at the first positional (`run IMAGE CMD...` has a command line of its own). */
  stopAtPositional?: boolean;
  /** Positional argument count: [min, max]. */
  args: [number, number];
  run(p: Parsed, ctx: C): Promise<number>;
}
