import { TabdockError } from '../shared/errors.ts';
import type { FlagSpec, Parsed } from '../shared/flags.ts';

export type { FlagSpec, Parsed };

/** A usage error: the dispatcher prints it with a `--help` hint and exits 125. */
export function flagError(message: string): TabdockError {
  return new TabdockError('FLAG_ERROR', message, {});
}

/**
 * Docker-style flags (spf13/pflag as the docker CLI sets it up): `--name v`, `--name=v`,
 * `-q`, grouped `-it`, `-p v`, repeated list flags, and `--` to end flags. Parsing stops
 * at the first positional when a command takes a command line of its own (`run IMAGE CMD...`).
 */
export function parseArgs(argv: string[], specs: FlagSpec[], opts: { stopAtPositional?: boolean } = {}): Parsed {
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const set = (s: FlagSpec, v: string | boolean) => {
    if (s.type === 'list') flags[s.name] = [...((flags[s.name] as string[] | undefined) ?? []), String(v)];
    else flags[s.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq === -1 ? undefined : eq);
      const s = byName.get(name);
      if (!s) throw flagError(`unknown flag: --${name}`);
      if (s.type === 'bool') {
        const v = eq === -1 ? 'true' : a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw flagError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
        set(s, v === 'true');
      } else {
        const v = eq === -1 ? argv[++i] : a.slice(eq + 1);
        if (v === undefined) throw flagError(`flag needs an argument: --${name}`);
        set(s, v);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const s = byShort.get(c);
        if (!s) throw flagError(`unknown shorthand flag: '${c}' in ${a}`);
        if (s.type === 'bool') {
          // `-H=false`: pflag takes a value for a short bool flag after '='.
          if (a[j + 1] === '=') {
            const v = a.slice(j + 2);
            if (v !== 'true' && v !== 'false') throw flagError(`invalid argument "${v}" for "-${c}, --${s.name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
            set(s, v === 'true');
            break;
          }
          set(s, true);
          continue;
        }
        const rest = a.slice(j + 1).replace(/^=/, '');
        const v = rest !== '' ? rest : argv[++i];
        if (v === undefined) throw flagError(`flag needs an argument: '${c}' in -${c}`);
        set(s, v);
        break;
      }
      continue;
    }
    args.push(a);
    if (opts.stopAtPositional) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, args };
}

/** A command's `--help`: usage after the program's name, the description, the flag table. */
export function usageText(prog: string, usage: string, description: string, specs: FlagSpec[]): string {
  const lines = [`Usage:  ${prog} ${usage}`, '', description];
  if (specs.length) {
    lines.push('', 'Options:');
    const cols = specs.map((s) => {
      const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type !== 'bool' ? ` ${s.value ?? s.type}` : ''}`;
      return [left, s.help] as const;
    });
    const w = Math.max(...cols.map(([l]) => l.length));
    for (const [l, h] of cols) lines.push(`  ${l.padEnd(w)}   ${h}`);
  }
  return lines.join('\n') + '\n';
}
