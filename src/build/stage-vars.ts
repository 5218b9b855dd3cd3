/**
 * A stage's variables while it is dispatched, and the expansion of each instruction with
 * them, as BuildKit's dockerfile2llb does it: the environment starts from the base image's
 * config Env (or the parent stage's variables), ARG and ENV add to it in order (so an ENV
 * after an ARG of the same name wins, Dockerfile reference "Using ARG variables"), and
 * only ENV, LABEL, ADD, COPY, WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE (then read as
 * `port/proto`, expose.ts) and ARG are expanded (reference "Environment replacement"); RUN, CMD, ENTRYPOINT, SHELL,
 * HEALTHCHECK and ONBUILD are left for the shell or the image.
 */
import type { Instruction, InstructionOf } from './instructions.ts';
import { envFromMap, LexError, ShellLex } from './lex.ts';
import { classifySources } from './copy-sources.ts';
import { exposedPorts } from './expose.ts';
import { UnsupportedError, unsupportedError } from './instructions.ts';
import { LineError } from './line-parsers.ts';
import { dockerfileError } from './parser.ts';
import type { BuildPlan } from './plan.ts';

export class StageVars {
  /** Name -> value in the order first set (ARG and ENV alike), as the LLB state's env. */
  private readonly env: Map<string, string>;
  /** The ARGs the stage declared, `KEY=value` or `KEY` (for history and RUN's cache key). */
  readonly args: Map<string, string | undefined>;
  private readonly lex: ShellLex;

  private constructor(private readonly plan: BuildPlan, env: Map<string, string>, args: Map<string, string | undefined>) {
    this.env = env;
    this.args = args;
    this.lex = new ShellLex(plan.dockerfile.escapeToken);
  }

  /** A stage on an image (or scratch): its config's `Env` (`K=V` strings). */
  static fromImage(plan: BuildPlan, imageEnv: readonly string[]): StageVars {
    const env = new Map<string, string>();
    for (const e of imageEnv) {
      const i = e.indexOf('=');
      env.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
    }
    return new StageVars(plan, env, new Map());
  }

  /** A stage on an earlier stage inherits its variables, ARGs included. */
  fork(): StageVars {
    return new StageVars(this.plan, new Map(this.env), new Map(this.args));
  }

  get(name: string): string | undefined {
    return this.env.get(name);
  }

  /** The environment a RUN gets, `K=V` in order (ARGs included; proxy ARGs are the plan's). */
  envList(): string[] {
    return [...this.env].map(([k, v]) => `${k}=${v}`);
  }

  private word(w: string, ins: Instruction): string {
    try {
      return this.lex.processWord(w, envFromMap(this.env)).result;
    } catch (e) {
      if (e instanceof LexError) throw dockerfileError(e.message, ins.line, ins.endLine);
      throw e;
    }
  }

  /**
   * The instruction with its words expanded; ARG and ENV also update the variables.
   * Throws DOCKERFILE_INVALID naming the line when a word does not expand (`${V:?err}`).
   */
  apply<I extends Instruction>(ins: I): I {
    const w = (s: string) => this.word(s, ins);
    const i = ins as Instruction;
    switch (i.kind) {
      case 'ENV': {
        // Every pair is expanded with the variables as they were before this ENV.
        const pairs = i.pairs.map((p) => ({ ...p, key: w(p.key), value: w(p.value) }));
        for (const p of pairs) this.env.set(p.key, p.value);
        return { ...i, pairs } as I;
      }
      case 'LABEL':
        return { ...i, pairs: i.pairs.map((p) => ({ ...p, key: w(p.key), value: w(p.value) })) } as I;
      case 'ARG':
        return { ...i, args: i.args.map((a) => this.arg(a, ins)) } as I;
      case 'WORKDIR':
        return { ...i, path: w(i.path) } as I;
      case 'USER':
        return { ...i, user: w(i.user) } as I;
      case 'VOLUME':
        return { ...i, volumes: i.volumes.map(w) } as I;
      case 'STOPSIGNAL':
        return { ...i, signal: w(i.signal) } as I;
      case 'EXPOSE': {
        // Words expanded (one value may become several), then read as the config keeps them.
        const words = i.ports.flatMap((p) => {
          try {
            return this.lex.processWords(p, envFromMap(this.env));
          } catch (e) {
            if (e instanceof LexError) throw dockerfileError(e.message, ins.line, ins.endLine);
            throw e;
          }
        });
        try {
          return { ...i, ports: exposedPorts(words) } as I;
        } catch (e) {
          if (e instanceof LineError) throw dockerfileError(e.message, ins.line, ins.endLine);
          throw e;
        }
      }
      case 'COPY':
      case 'ADD':
        return this.copy(i) as I;
      default:
        return ins;
    }
  }

  private arg(a: { key: string; value?: string }, ins: Instruction): { key: string; value?: string } {
    const key = this.word(a.key, ins);
    const given = this.plan.buildArgs.get(key);
    let value: string | undefined;
    if (given !== undefined) value = given;
    else if (a.value !== undefined) value = this.word(a.value, ins);
    else value = this.plan.globalArgs.get(key);
    if (value !== undefined) this.env.set(key, value);
    this.args.set(key, value);
    return value === undefined ? { key } : { key, value };
  }

  private copy(i: InstructionOf<'COPY'> | InstructionOf<'ADD'>): Instruction {
    const w = (s: string) => this.word(s, i);
    // Heredoc bodies with an unquoted delimiter expand variables, quotes left as they are.
    const raw = new ShellLex('\\', { skipProcessQuotes: true });
    const contents = i.contents.map((c) => {
      if (!c.expand) return c;
      try {
        return { ...c, data: raw.processWord(c.data, envFromMap(this.env)).result };
      } catch (e) {
        if (e instanceof LexError) throw dockerfileError(e.message, i.line, i.endLine);
        throw e;
      }
    });
    const base = { ...i, chown: w(i.chown), chmod: w(i.chmod), sources: i.sources.map(w), dest: w(i.dest), contents };
    const out = i.kind === 'ADD' ? { ...base, kind: 'ADD' as const, checksum: w(i.checksum) } : base;
    try {
      classifySources(out);
    } catch (e) {
      if (e instanceof UnsupportedError) throw unsupportedError(e.message, i.line, i.endLine);
      if (e instanceof LineError) throw dockerfileError(e.message, i.line, i.endLine);
      throw e;
    }
    return out;
  }
}
