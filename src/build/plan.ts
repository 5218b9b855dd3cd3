/**
 * The build plan: which stage is the target, what each stage is based on (scratch, an
 * earlier stage, an image), which stages the target needs (the rest are skipped), the
 * global ARGs (predefined platform ARGs, then ARGs before the first FROM with --build-arg
 * values), as BuildKit's dockerfile2llb/convert.go decides them before dispatching.
 */
import { TabdockError } from '../shared/errors.ts';
import { goQuote } from './go-quote.ts';
import type { Dockerfile, StageDef } from './instructions.ts';
import { envFromMap, LexError, ShellLex } from './lex.ts';
import { dockerfileError } from './parser.ts';
import { withSuggestion } from './suggest.ts';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PlanOptions {
  /** `--target`; the last stage when not given. */
  target?: string;
  /** `--build-arg` values. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The platform of the result (`--platform`) and of the machine building. */
  targetPlatform: Platform;
  buildPlatform: Platform;
}

export type StageBase = { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface PlannedStage extends StageDef {
  /** `AS name`, or `stage-N` as BuildKit names an unnamed one. */
  displayName: string;
  /** The FROM operand after expansion with the global ARGs. */
  resolvedBase: string;
  base: StageBase;
  /** `--platform` after expansion; undefined when not given. */
  resolvedPlatform?: string;
  /** Stages (by index) and images that `COPY --from` reads. */
  copyFromStages: number[];
  copyFromImages: string[];
}

export interface BuildPlan {
  dockerfile: Dockerfile;
  stages: PlannedStage[];
  target: PlannedStage;
  /** The stages the target needs, in Dockerfile order; the others are not built. */
  needed: number[];
  /** ARGs in the global scope (for FROM, and for a stage's ARG without a default). */
  globalArgs: ReadonlyMap<string, string>;
  /** The --build-arg values. */
  buildArgs: ReadonlyMap<string, string>;
  /**
   * Predefined proxy ARGs given with --build-arg: passed to RUN's environment but, unless
   * an ARG declares them, kept out of the history and the cache key (Dockerfile reference,
   * "Predefined ARGs").
   */
  proxyEnv: ReadonlyMap<string, string>;
}

export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

const formatPlatform = (p: Platform) => [p.os, p.architecture, p.variant].filter((x) => x).join('/');

/** BUILDPLATFORM, TARGETARCH... as BuildKit defines them (dockerfile2llb/platform.go). */
export function predefinedArgs(opts: PlanOptions, target: string): Map<string, string> {
  const b = opts.buildPlatform;
  const t = opts.targetPlatform;
  const m = new Map<string, string>([
    ['BUILDPLATFORM', formatPlatform(b)], ['BUILDOS', b.os], ['BUILDOSVERSION', ''], ['BUILDARCH', b.architecture], ['BUILDVARIANT', b.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(t)], ['TARGETOS', t.os], ['TARGETOSVERSION', ''], ['TARGETARCH', t.architecture], ['TARGETVARIANT', t.variant ?? ''],
    ['TARGETSTAGE', target || 'default'],
  ]);
  for (const k of m.keys()) {
    const v = opts.buildArgs?.[k];
    if (v !== undefined) m.set(k, v);
  }
  return m;
}

function lexError(e: unknown, line: number, endLine: number): never {
  if (e instanceof LexError) throw dockerfileError(e.message, line, endLine);
  throw e;
}

/** Plans the build. Throws BUILD_TARGET_NOT_FOUND, DOCKERFILE_INVALID naming the line. */
export function planBuild(df: Dockerfile, opts: PlanOptions): BuildPlan {
  const lex = new ShellLex(df.escapeToken);
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const targetName = opts.target ?? df.stages[df.stages.length - 1]!.name;
  const globalArgs = predefinedArgs(opts, targetName);
  for (const a of df.metaArgs) {
    for (const { key, value } of a.args) {
      let v = buildArgs.get(key);
      if (v === undefined && value !== undefined) {
        try {
          v = lex.processWord(value, envFromMap(globalArgs)).result;
        } catch (e) {
          lexError(e, a.line, a.endLine);
        }
      }
      if (v !== undefined) globalArgs.set(key, v);
    }
  }

  const byName = new Map<string, number>();
  const stages: PlannedStage[] = df.stages.map((st) => {
    let resolvedBase = '';
    try {
      resolvedBase = lex.processWord(st.baseName, envFromMap(globalArgs)).result;
    } catch (e) {
      lexError(e, st.line, st.endLine);
    }
    if (resolvedBase === '') throw dockerfileError(`base name (${st.baseName}) should not be blank`, st.line, st.endLine);
    let resolvedPlatform: string | undefined;
    if (st.platform !== '') {
      try {
        resolvedPlatform = lex.processWord(st.platform, envFromMap(globalArgs)).result;
      } catch (e) {
        lexError(e, st.line, st.endLine);
      }
      if (resolvedPlatform === '') throw dockerfileError(`empty platform value from expression ${st.platform}`, st.line, st.endLine);
    }
    const parent = byName.get(resolvedBase);
    const base: StageBase = parent !== undefined ? { kind: 'stage', index: parent } : resolvedBase === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: resolvedBase };
    if (st.name !== '') byName.set(st.name, st.index);
    return {
      ...st, displayName: st.name || `stage-${st.index}`, resolvedBase, base,
      ...(resolvedPlatform !== undefined ? { resolvedPlatform } : {}), copyFromStages: [], copyFromImages: [],
    };
  });

  let target = stages[stages.length - 1]!;
  if (opts.target !== undefined && opts.target !== '') {
    const i = byName.get(opts.target.toLowerCase());
    if (i === undefined) {
      const names = stages.filter((s) => s.name !== '').map((s) => s.name);
      throw new TabdockError('BUILD_TARGET_NOT_FOUND', withSuggestion(`target stage ${goQuote(opts.target)} could not be found`, opts.target, names, true), { target: opts.target });
    }
    target = stages[i]!;
  }

  for (const st of stages) {
    for (const ins of st.instructions) {
      if (ins.kind !== 'COPY' || ins.from === '') continue;
      const plain = new ShellLex(df.escapeToken).processWord(ins.from, envFromMap(new Map())).result;
      if (plain !== ins.from) {
        throw dockerfileError('variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround', ins.line, ins.endLine);
      }
      if (/^[+-]?\d+$/.test(ins.from)) {
        const n = Number(ins.from);
        if (n < 0 || n >= stages.length) throw dockerfileError(`invalid stage index ${n}`, ins.line, ins.endLine);
        st.copyFromStages.push(n);
      } else {
        const i = byName.get(ins.from.toLowerCase());
        if (i !== undefined) st.copyFromStages.push(i);
        else st.copyFromImages.push(ins.from);
      }
    }
  }
  checkCycles(stages);

  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const s = stages[i]!;
    if (s.base.kind === 'stage') visit(s.base.index);
    for (const d of s.copyFromStages) visit(d);
  };
  visit(target.index);

  const proxyEnv = new Map<string, string>();
  for (const k of PROXY_ARGS) {
    const v = buildArgs.get(k);
    if (v !== undefined) proxyEnv.set(k, v);
  }
  return { dockerfile: df, stages, target, needed: [...needed].sort((a, b) => a - b), globalArgs, buildArgs, proxyEnv };
}

function checkCycles(stages: PlannedStage[]): void {
  const state = new Map<number, 'open' | 'done'>();
  const deps = (s: PlannedStage) => [...(s.base.kind === 'stage' ? [s.base.index] : []), ...s.copyFromStages];
  const dfs = (i: number): void => {
    if (state.get(i) === 'done') return;
    if (state.get(i) === 'open') throw new TabdockError('DOCKERFILE_INVALID', `circular dependency detected on stage: ${stages[i]!.displayName}`, { line: stages[i]!.line });
    state.set(i, 'open');
    for (const d of deps(stages[i]!)) dfs(d);
    state.set(i, 'done');
  };
  for (const s of stages) dfs(s.index);
}
