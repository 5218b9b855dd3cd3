import type { FlagSpec, Parsed } from '../args.ts';
import type { Ctx } from '../context.ts';

export interface Command {
  name: string;
  aliases?: string[];
  usage: string;
  description: string;
  flags: FlagSpec[];
  stopAtPositional?: boolean;
  /** Positional argument count: [min, max]. */
  args: [number, number];
  run(p: Parsed, ctx: Ctx): Promise<number>;
}
