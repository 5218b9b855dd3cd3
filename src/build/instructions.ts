/**
 * Typed instructions and stages from the parsed lines, as BuildKit's
 * frontend/dockerfile/instructions/parse.go makes them: argument counts, flags, the
 * exec/shell form, heredoc sources, HEALTHCHECK's options, stage names. Values are as
 * written; expansion happens per stage (stage-vars.ts) because it needs the base image's
 * environment.
 */
import { parseGoDuration as goParseDuration } from '../shared/go-duration.ts';
import { TabdockError } from '../shared/errors.ts';
import { lineArgs, type ParsedLine, type ParseResult } from './ast.ts';
import { InstructionFlags } from './flags.ts';
import { goQuote } from './go-quote.ts';
import { LineError } from './line-parsers.ts';
import { chompHeredoc, dockerfileError, parseDockerfile, parseHeredocWord } from './parser.ts';
import { withSuggestion } from './suggest.ts';

export interface Located {
  /** 1-based first and last line in the Dockerfile. */
  line: number;
  endLine: number;
  /** The instruction as written (continuations joined): BuildKit's String(), used in history and keys. */
  original: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** The legacy `ENV k v` form (no `=`). */
  noDelim: boolean;
}

/** A heredoc body given to RUN (as a file the shell reads). */
export interface InlineFile {
  name: string;
  data: string;
  chomp: boolean;
  expand: boolean;
}

/** A heredoc used as a COPY/ADD source: a file named after the delimiter with this content. */
export interface SourceContent {
  path: string;
  data: string;
  expand: boolean;
}

export type NetworkMode = 'default' | 'none' | 'host';

/** The image config's Healthcheck; durations in nanoseconds as Docker stores them. */
export interface HealthConfig {
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface CommandLine {
  /** Exec form: the words; shell form: one string for the SHELL to run. */
  cmdLine: string[];
  /** Shell form: run through the stage's SHELL. */
  prependShell: boolean;
  files: InlineFile[];
}

export interface CopySpec {
  sources: string[];
  contents: SourceContent[];
  dest: string;
  chown: string;
  chmod: string;
  link: boolean;
  exclude: string[];
}

export type Instruction = Located &
  (
    | { kind: 'ENV'; pairs: KeyValue[] }
    | { kind: 'LABEL'; pairs: KeyValue[] }
    | { kind: 'MAINTAINER'; maintainer: string }
    | { kind: 'ARG'; args: { key: string; value?: string }[] }
    | ({ kind: 'RUN'; network: NetworkMode } & CommandLine)
    | ({ kind: 'CMD' } & CommandLine)
    | ({ kind: 'ENTRYPOINT' } & CommandLine)
    | { kind: 'SHELL'; shell: string[] }
    | { kind: 'WORKDIR'; path: string }
    | { kind: 'USER'; user: string }
    | { kind: 'VOLUME'; volumes: string[] }
    | { kind: 'STOPSIGNAL'; signal: string }
    | { kind: 'EXPOSE'; ports: string[] }
    | { kind: 'HEALTHCHECK'; health: HealthConfig }
    | { kind: 'ONBUILD'; expression: string }
    | ({ kind: 'COPY'; from: string; parents: boolean } & CopySpec)
    | ({ kind: 'ADD'; checksum: string; unpack?: boolean } & CopySpec)
  );

export type InstructionOf<K extends Instruction['kind']> = Extract<Instruction, { kind: K }>;

export interface StageDef extends Located {
  index: number;
  /** `AS name`, lower-cased; '' when unnamed. */
  name: string;
  /** The image or stage after FROM, before expansion. */
  baseName: string;
  /** `--platform`, before expansion; '' when not given. */
  platform: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  metaArgs: InstructionOf<'ARG'>[];
  stages: StageDef[];
  escapeToken: string;
  directives: Record<string, string>;
  warnings: ParseResult['warnings'];
}

const INSTRUCTIONS = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** A build feature this builder refuses rather than ignore. */
export class UnsupportedError extends LineError {}

/** DOCKERFILE_UNSUPPORTED naming the line, worded as the parse errors are. */
export function unsupportedError(message: string, line: number, endLine = line): TabdockError {
  return new TabdockError('DOCKERFILE_UNSUPPORTED', `dockerfile parse error on line ${line}: ${message}`, { line, endLine, reason: message });
}

const atLeastOne = (c: string) => new LineError(`${c} requires at least one argument`);
const exactlyOne = (c: string) => new LineError(`${c} requires exactly one argument`);
const noDest = (c: string) => new LineError(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);

function kvps(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) throw atLeastOne(cmd);
  if (args.length % 3 !== 0) throw new LineError(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j] === '') throw new LineError(`${cmd} names can not be blank`);
    out.push({ key: args[j]!, value: args[j + 1]!, noDelim: args[j + 2] === '' });
  }
  return out;
}

function commandLine(l: ParsedLine, args: string[]): CommandLine {
  return {
    cmdLine: args.length === 0 ? [] : l.json ? args : [args.join(' ')],
    prependShell: !l.json,
    files: l.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp, expand: h.expand })),
  };
}

function copySpec(l: ParsedLine, args: string[], cmd: string, f: InstructionFlags): CopySpec {
  const dest = args[args.length - 1]!;
  if (parseHeredocWord(dest)) throw new LineError(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(l.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const contents: SourceContent[] = [];
  for (const src of args.slice(0, -1)) {
    const h = parseHeredocWord(src);
    if (!h) {
      sources.push(src);
      continue;
    }
    const body = byName.get(h.name)?.content ?? '';
    contents.push({ path: h.name, data: h.chomp ? chompHeredoc(body) : body, expand: h.expand });
  }
  return { sources, contents, dest, chown: f.get('chown'), chmod: f.get('chmod'), link: f.isTrue('link'), exclude: f.list('exclude') };
}

/** Go's time.ParseDuration, in nanoseconds (shared/go-duration.ts), failing as a line's error. */
export function parseGoDuration(s: string): number {
  try {
    return goParseDuration(s);
  } catch (e) {
    throw new LineError((e as Error).message);
  }
}

function interval(f: InstructionFlags, name: string): number | undefined {
  const v = f.get(name);
  if (v === '') return undefined;
  const d = parseGoDuration(v);
  if (d === 0) return undefined;
  if (d < 1e6) throw new LineError(`Interval ${goQuote(name)} cannot be less than 1ms`);
  return d;
}

/** One parsed line as a typed instruction (FROM is handled by parseInstructions). */
export function parseInstruction(l: ParsedLine): Instruction {
  const args = lineArgs(l);
  const loc: Located = { line: l.startLine, endLine: l.endLine, original: l.original };
  const f = new InstructionFlags(l.flags);
  const cmd = l.cmd.toUpperCase();
  switch (cmd) {
    case 'ENV':
      f.parse();
      return { ...loc, kind: 'ENV', pairs: kvps(args, 'ENV') };
    case 'LABEL':
      f.parse();
      return { ...loc, kind: 'LABEL', pairs: kvps(args, 'LABEL') };
    case 'MAINTAINER':
      if (args.length !== 1) throw exactlyOne('MAINTAINER');
      f.parse();
      return { ...loc, kind: 'MAINTAINER', maintainer: args[0]! };
    case 'ARG': {
      if (args.length < 1) throw atLeastOne('ARG');
      // BuildKit reads no flags on ARG (and ignores any); this builder refuses them instead.
      f.parse();
      return {
        ...loc, kind: 'ARG',
        args: args.map((a) => {
          const i = a.indexOf('=');
          if (i < 0) return { key: a };
          if (i === 0) throw new LineError('ARG names can not be blank');
          return { key: a.slice(0, i), value: a.slice(i + 1) };
        }),
      };
    }
    case 'RUN': {
      f.strings('mount').string('network').string('security').strings('device').parse();
      for (const flag of ['mount', 'security', 'device']) {
        if (f.isUsed(flag)) throw new UnsupportedError(`RUN --${flag} is not supported by this builder`);
      }
      const network = f.isUsed('network') ? f.get('network') : 'default';
      if (network !== 'default' && network !== 'none' && network !== 'host') throw new LineError(`invalid network mode ${goQuote(network)}`);
      return { ...loc, kind: 'RUN', network, ...commandLine(l, args) };
    }
    case 'CMD':
      f.parse();
      return { ...loc, kind: 'CMD', ...commandLine(l, args) };
    case 'ENTRYPOINT':
      f.parse();
      return { ...loc, kind: 'ENTRYPOINT', ...commandLine(l, args) };
    case 'SHELL': {
      f.parse();
      if (args.length === 0) throw atLeastOne('SHELL');
      if (!l.json) throw new LineError(`SHELL requires the arguments to be in JSON form`);
      return { ...loc, kind: 'SHELL', shell: args };
    }
    case 'WORKDIR':
      if (args.length !== 1) throw exactlyOne('WORKDIR');
      f.parse();
      return { ...loc, kind: 'WORKDIR', path: args[0]! };
    case 'USER':
      if (args.length !== 1) throw exactlyOne('USER');
      f.parse();
      return { ...loc, kind: 'USER', user: args[0]! };
    case 'VOLUME': {
      if (args.length === 0) throw atLeastOne('VOLUME');
      f.parse();
      const volumes = args.map((v) => v.trim());
      if (volumes.includes('')) throw new LineError('VOLUME specified can not be an empty string');
      return { ...loc, kind: 'VOLUME', volumes };
    }
    case 'STOPSIGNAL':
      if (args.length !== 1) throw exactlyOne('STOPSIGNAL');
      f.parse();
      return { ...loc, kind: 'STOPSIGNAL', signal: args[0]! };
    case 'EXPOSE':
      if (args.length === 0) throw atLeastOne('EXPOSE');
      f.parse();
      return { ...loc, kind: 'EXPOSE', ports: [...args].sort() };
    case 'HEALTHCHECK':
      return { ...loc, kind: 'HEALTHCHECK', health: healthcheck(l, args, f) };
    case 'ONBUILD': {
      if (args.length === 0) throw atLeastOne('ONBUILD');
      f.parse();
      const trigger = args[0]!.trim().toUpperCase();
      if (trigger === 'ONBUILD') throw new LineError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new LineError(`${trigger} isn't allowed as an ONBUILD trigger`);
      let expression = l.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of l.heredocs) expression += '\n' + h.content + h.name;
      return { ...loc, kind: 'ONBUILD', expression };
    }
    case 'COPY': {
      if (args.length < 2) throw noDest('COPY');
      f.string('chown').string('from').string('chmod').bool('link').strings('exclude').bool('parents').parse();
      if (f.isTrue('parents')) throw new UnsupportedError('COPY --parents is not supported by this builder');
      return { ...loc, kind: 'COPY', from: f.get('from'), parents: false, ...copySpec(l, args, 'COPY', f) };
    }
    case 'ADD': {
      if (args.length < 2) throw noDest('ADD');
      f.string('chown').string('chmod').bool('link').bool('keep-git-dir').string('checksum').bool('unpack').strings('exclude').parse();
      if (f.isUsed('keep-git-dir')) throw new UnsupportedError('ADD --keep-git-dir is not supported by this builder (no Git sources)');
      const spec = copySpec(l, args, 'ADD', f);
      return { ...loc, kind: 'ADD', checksum: f.get('checksum'), ...(f.isUsed('unpack') ? { unpack: f.isTrue('unpack') } : {}), ...spec };
    }
    default:
      throw new LineError(withSuggestion(`unknown instruction: ${l.cmd}`, l.cmd, INSTRUCTIONS, false));
  }
}

function healthcheck(l: ParsedLine, args: string[], f: InstructionFlags): HealthConfig {
  if (args.length === 0) throw atLeastOne('HEALTHCHECK');
  const typ = args[0]!.toUpperCase();
  const rest = args.slice(1);
  if (typ === 'NONE') {
    if (rest.length !== 0) throw new LineError('HEALTHCHECK NONE takes no arguments');
    // BuildKit reads no flags after NONE; refusing them is ours (a flag is applied or refused).
    f.parse();
    return { test: ['NONE'] };
  }
  f.string('interval').string('timeout').string('start-period').string('start-interval').string('retries').parse();
  if (typ !== 'CMD') throw new LineError(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = rest.length === 0 ? [] : l.json ? rest : [rest.join(' ')];
  if (cmd.length === 0) throw new LineError('Missing command after HEALTHCHECK CMD');
  const h: HealthConfig = { test: [l.json ? 'CMD' : 'CMD-SHELL', ...cmd] };
  const iv = interval(f, 'interval');
  const to = interval(f, 'timeout');
  const sp = interval(f, 'start-period');
  const si = interval(f, 'start-interval');
  if (iv !== undefined) h.interval = iv;
  if (to !== undefined) h.timeout = to;
  if (sp !== undefined) h.startPeriod = sp;
  if (si !== undefined) h.startInterval = si;
  const r = f.get('retries');
  if (r !== '') {
    if (!/^[+-]?\d+$/.test(r)) throw new LineError(`strconv.ParseInt: parsing ${goQuote(r)}: invalid syntax`);
    const n = Number(r);
    if (n < 0) throw new LineError(`--retries cannot be negative (${n})`);
    h.retries = n;
  }
  return h;
}

function parseFrom(l: ParsedLine, index: number): StageDef {
  const args = lineArgs(l);
  let name = '';
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    name = args[2]!.toLowerCase();
    if (!STAGE_NAME.test(name)) throw new LineError(`invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`);
  } else if (args.length !== 1) throw new LineError('FROM requires either one or three arguments');
  const f = new InstructionFlags(l.flags).string('platform').parse();
  return { index, name, baseName: args[0]!, platform: f.get('platform'), line: l.startLine, endLine: l.endLine, original: l.original.trim(), instructions: [] };
}

/** The parse as meta ARGs and stages. Throws DOCKERFILE_INVALID / DOCKERFILE_UNSUPPORTED naming the line. */
export function parseInstructions(r: ParseResult): Dockerfile {
  const metaArgs: InstructionOf<'ARG'>[] = [];
  const stages: StageDef[] = [];
  for (const l of r.lines) {
    try {
      if (l.cmd.toUpperCase() === 'FROM') {
        stages.push(parseFrom(l, stages.length));
        continue;
      }
      const ins = parseInstruction(l);
      if (stages.length === 0) {
        if (ins.kind === 'ARG') {
          metaArgs.push(ins);
          continue;
        }
        throw new LineError('no build stage in current context');
      }
      stages[stages.length - 1]!.instructions.push(ins);
    } catch (e) {
      if (e instanceof UnsupportedError) throw unsupportedError(e.message, l.startLine, l.endLine);
      if (e instanceof LineError) throw dockerfileError(e.message, l.startLine, l.endLine);
      throw e;
    }
  }
  if (stages.length === 0) throw new TabdockError('DOCKERFILE_INVALID', 'dockerfile contains no stages to build', {});
  return { metaArgs, stages, escapeToken: r.escapeToken, directives: r.directives, warnings: r.warnings };
}

/**
 * A base image's (or base stage's) ONBUILD triggers as the instructions that run first in
 * a stage built on it, as BuildKit's initOnBuildTriggers parses them: each trigger one
 * instruction (heredocs included), never FROM, MAINTAINER or ONBUILD.
 */
export function parseOnbuildTriggers(triggers: readonly string[]): Instruction[] {
  return triggers.map((t) => {
    const fail = (m: string) => new TabdockError('DOCKERFILE_INVALID', `ONBUILD trigger ${goQuote(t)}: ${m}`, { trigger: t, reason: m });
    let lines: ParsedLine[];
    try {
      lines = parseDockerfile(t).lines;
    } catch (e) {
      throw TabdockError.is(e) ? fail((e.data.reason as string | undefined) ?? e.message) : e;
    }
    if (lines.length !== 1) throw fail('onbuild trigger should be a single expression');
    const cmd = lines[0]!.cmd.toUpperCase();
    if (cmd === 'FROM' || cmd === 'MAINTAINER' || cmd === 'ONBUILD') throw fail(`${cmd} isn't allowed as an ONBUILD trigger`);
    try {
      return parseInstruction(lines[0]!);
    } catch (e) {
      if (e instanceof LineError) throw fail(e.message);
      throw e;
    }
  });
}
