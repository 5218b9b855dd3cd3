/**
 * Instruction flags (`COPY --from=x --chown=y`), as BuildKit's instructions/bflag.go reads
 * them: each instruction declares the flags it knows; an unknown or repeated flag, a string
 * flag without `=value` and a bad boolean are errors worded as BuildKit words them.
 */
import { LineError } from './line-parsers.ts';

type Kind = 'bool' | 'string' | 'strings';

export class InstructionFlags {
  private readonly kinds = new Map<string, Kind>();
  private readonly values = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  private readonly used = new Set<string>();

  constructor(private readonly args: readonly string[]) {}

  bool(name: string): this {
    this.kinds.set(name, 'bool');
    return this;
  }
  string(name: string): this {
    this.kinds.set(name, 'string');
    return this;
  }
  strings(name: string): this {
    this.kinds.set(name, 'strings');
    return this;
  }

  /** Reads the flags; throws LineError for what BuildKit refuses. */
  parse(): this {
    for (const a of this.args) {
      if (a === '--') return this;
      if (!a.startsWith('--')) throw new LineError(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const hasValue = eq >= 0;
      const value = hasValue ? a.slice(eq + 1) : '';
      const name = flagName.slice(2);
      const kind = this.kinds.get(name);
      if (!kind) throw new LineError(`unknown flag: ${flagName}`);
      if (this.used.has(name) && kind !== 'strings') throw new LineError(`duplicate flag specified: ${flagName}`);
      this.used.add(name);
      if (kind === 'bool') {
        if (hasValue && value === '') throw new LineError(`missing a value on flag: ${flagName}`);
        const v = value.toLowerCase();
        if (v !== '' && v !== 'true' && v !== 'false') throw new LineError(`expecting boolean value for flag ${flagName}, not: ${value}`);
        this.values.set(name, v === 'false' ? 'false' : 'true');
      } else {
        if (!hasValue) throw new LineError(`missing a value on flag: ${flagName}`);
        if (kind === 'string') this.values.set(name, value);
        else this.lists.set(name, [...(this.lists.get(name) ?? []), value]);
      }
    }
    return this;
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }
  get(name: string): string {
    return this.values.get(name) ?? '';
  }
  isTrue(name: string): boolean {
    return this.values.get(name) === 'true';
  }
  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }
}
