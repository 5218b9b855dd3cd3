/**
 * `docker build`: runs a Dockerfile's plan (src/build) on the engine. Each step's result
 * is an image (hidden from `docker images` while untagged: the build cache), found again by
 * the step's cache key: parent, expanded instruction, the variables a RUN sees, and for
 * COPY/ADD the checksum of what it copies (BuildKit's contenthash). RUN runs as a container
 * on the guest, COPY/ADD/WORKDIR write a tree; either's changes become a layer through the
 * tree-to-layer path `commit` uses. Progress goes out as BuildKit's vertices.
 */
import {
  classifySources, globContext, hashWasmSha256, parseChmod, parseDockerfile, parseInstructions, parseOnbuildTriggers, planBuild, sourceChecksum, StageVars,
  stepKey, type BuildPlan, type ContextSource, type Instruction, type InstructionOf, type PlannedStage,
} from '../../build/index.ts';
import { contextFromTar } from '../../build/context-tar.ts';
import type { ContainerFs, LayerStore, MetaStore } from '../../fs-layers/index.ts';
import { formatPlatform, normalizePlatform, parsePlatform, parseReference, sha256, type ContainerConfig, type Platform } from '../../registry-client/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ContainerFilesystems } from '../containers/filesystems.ts';
import type { Attachment, CreateRequest } from '../containers/service.ts';
import { diff, resolve } from '../containers/container-files.ts';
import type { NewHistoryStep, NewLayer } from '../image-create.ts';
import type { ImageRecord } from '../image-record.ts';
import type { ImageService } from '../images.ts';
import { parseRunOptions } from '../spec/run-flags.ts';
import { replaceOrAppendEnv } from '../spec/env.ts';
import { resolveUser } from '../spec/user.ts';
import { healthFromDockerfile } from '../spec/healthcheck.ts';
import { archiveKind, copySources, mkdirAll, TreeSource, unpackInto, type CopyOptions, type Owner } from './build-copy.ts';

export interface BuildRequest {
  /** The Dockerfile's text (read by the client, as BuildKit reads it apart from the context). */
  dockerfile: string;
  /** Its name, for messages (`Dockerfile`, `app.Dockerfile`). */
  dockerfileName?: string;
  /** Bytes of the .dockerignore the client applied (the progress line), if there was one. */
  ignoreFileSize?: number;
  /** `-t`: full or familiar references, each tagged on success. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** `--pull`: base images are pulled even when they are here. */
  pull?: boolean;
  /** `--label`: set on the result's config. */
  labels?: Record<string, string>;
  /** `--platform`: the result's platform (an emulated one runs its RUN steps under QEMU). */
  platform?: string;
  /** `--network`: RUN's network unless a step says otherwise (`default`, `none`, `host`). */
  network?: string;
  /** The serving side's, never a caller's: the build stops when its client leaves. */
  signal?: AbortSignal;
}

/** Progress, as BuildKit's solve status: vertices (steps) and their output. */
export type BuildEvent =
  | { type: 'vertex'; id: number; name: string; state: 'started' | 'cached' | 'done' | 'error'; error?: string; ms?: number }
  | { type: 'log'; id: number; text: string; /** Seconds since the vertex started. */ at: number }
  | { type: 'warning'; text: string };

export interface BuildResult {
  id: string;
  /** The full references tagged. */
  tags: string[];
}

export interface BuilderDeps {
  images: ImageService;
  filesystems: ContainerFilesystems;
  layers: LayerStore;
  meta: MetaStore;
  containers: {
    createContainer(req: CreateRequest): Promise<{ Id: string }>;
    attachContainer(ref: string, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void): Promise<Attachment>;
    startContainer(ref: string): Promise<void>;
    waitContainer(ref: string): Promise<{ StatusCode: number; Error?: string }>;
    killContainer(ref: string, signal?: string): Promise<string>;
    removeContainer(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<string>;
  };
  /** ADD of an http(s) URL (the build's network: the host's in Node, the page's fetch in a tab). */
  fetch?: typeof fetch;
  /** The platforms the runtimes run (linux/386 and the emulated ones): others are refused. */
  platforms?: readonly Platform[];
}

import { CACHE_PREFIX } from './build-cache.ts';
const DEFAULT_SHELL = ['/bin/sh', '-c'];
const HISTORY_COMMENT = 'buildkit.dockerfile.v0';
const HOST: Platform = { os: 'linux', architecture: '386' };

/** One stage's state while it is built: the image so far, its cache key, its variables. */
interface State {
  image: ImageRecord;
  key: string;
  vars: StageVars;
  platform: Platform;
  /** CMD given in this stage (ENTRYPOINT clears an inherited CMD only when none was). */
  cmdSet: boolean;
}

/** The error of a failed step, with where it is in the Dockerfile (the CLI prints the lines). */
function stepError(code: 'BUILD_STEP_FAILED' | 'BUILD_SOURCE_NOT_FOUND', message: string, ins: { line: number; endLine: number }, vertex: string, extra: Record<string, unknown> = {}): TabdockError {
  return new TabdockError(code, message, { line: ins.line, endLine: ins.endLine, vertex, ...extra });
}

export class Builder {
  private nextVertex = 1;
  private readonly t0 = Date.now();

  constructor(private readonly d: BuilderDeps, private readonly req: BuildRequest, private readonly emit: (e: BuildEvent) => void) {}

  /** Runs a vertex: started, then done (or error); `cached` short-cuts it. */
  private async vertex<T>(name: string, work: (log: (text: string) => void, id: number) => Promise<T>): Promise<T> {
    const id = this.nextVertex++;
    const start = Date.now();
    this.emit({ type: 'vertex', id, name, state: 'started' });
    try {
      const r = await work((text) => this.emit({ type: 'log', id, text, at: (Date.now() - start) / 1000 }), id);
      this.emit({ type: 'vertex', id, name, state: 'done', ms: Date.now() - start });
      return r;
    } catch (e) {
      this.emit({ type: 'vertex', id, name, state: 'error', error: (e as Error).message, ms: Date.now() - start });
      throw e;
    }
  }

  private cached(name: string): void {
    const id = this.nextVertex++;
    this.emit({ type: 'vertex', id, name, state: 'cached' });
  }

  private checkCancel(): void {
    if (this.req.signal?.aborted) throw new TabdockError('BUILD_CANCELLED', 'the build was cancelled: its client went away', {});
  }

  async run(contextTar: () => Promise<Uint8Array | null | undefined>): Promise<BuildResult> {
    const req = this.req;
    const dfName = req.dockerfileName ?? 'Dockerfile';
    const plan = await this.vertex(`[internal] load build definition from ${dfName}`, async (log) => {
      log(`transferring dockerfile: ${humanBytes(new TextEncoder().encode(req.dockerfile).byteLength)} done`);
      const parsed = parseDockerfile(req.dockerfile);
      for (const w of parsed.warnings) this.emit({ type: 'warning', text: w.message ?? String(w) });
      const df = parseInstructions(parsed);
      return planBuild(df, { targetPlatform: this.targetPlatform(), buildPlatform: HOST, ...(req.target ? { target: req.target } : {}), ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}) });
    });
    if (req.ignoreFileSize !== undefined) await this.vertex('[internal] load .dockerignore', async (log) => log(`transferring context: ${humanBytes(req.ignoreFileSize!)} done`));
    const context = await this.vertex('[internal] load build context', async (log) => {
      const ctx = await contextFromTar(contextTar);
      log(`transferring context: ${humanBytes(ctx.bytes)} done`);
      return ctx;
    });
    this.warnUnusedArgs(plan);

    const multi = plan.needed.length > 1 || plan.stages.length > 1;
    const results = new Map<number, State>();
    for (const i of plan.needed) {
      this.checkCancel();
      const st = plan.stages[i]!;
      results.set(i, await this.stage(plan, st, results, context, multi));
    }
    const final = results.get(plan.target.index)!;
    return this.export(final);
  }

  private targetPlatform(): Platform {
    return this.req.platform ? normalizePlatform(parsePlatform(this.req.platform)) : HOST;
  }

  private warnUnusedArgs(plan: BuildPlan): void {
    const declared = new Set<string>([...plan.dockerfile.metaArgs.flatMap((a) => a.args.map((x) => x.key))]);
    for (const st of plan.stages) for (const ins of st.instructions) if (ins.kind === 'ARG') for (const a of ins.args) declared.add(a.key);
    const predefined = new Set(['BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT', 'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);
    const unused = [...plan.buildArgs.keys()].filter((k) => !declared.has(k) && !predefined.has(k)).sort();
    if (unused.length) this.emit({ type: 'warning', text: `One or more build-args [${unused.join(' ')}] were not consumed` });
  }

  /** The platform a stage builds for: its FROM --platform, else --platform, else the guest's. */
  private stagePlatform(st: PlannedStage): Platform {
    const p = st.resolvedPlatform ? normalizePlatform(parsePlatform(st.resolvedPlatform)) : this.targetPlatform();
    const ok = [HOST, ...(this.d.platforms ?? [])].some((x) => formatPlatform(x) === formatPlatform(p));
    if (!ok) throw new TabdockError('UNSUPPORTED_PLATFORM', `cannot build for ${formatPlatform(p)}: this engine runs ${[HOST, ...(this.d.platforms ?? [])].map(formatPlatform).join(', ')}`, { line: st.line }, { exitCode: 1 });
    return p;
  }

  private async stage(plan: BuildPlan, st: PlannedStage, done: Map<number, State>, context: ContextSource, multi: boolean): Promise<State> {
    const countable = (i: Instruction) => i.kind === 'RUN' || i.kind === 'COPY' || i.kind === 'ADD' || i.kind === 'WORKDIR';
    let state: State;
    const platform = this.stagePlatform(st);
    let triggers: Instruction[] = [];
    if (st.base.kind === 'stage') {
      const parent = done.get(st.base.index)!;
      state = { ...parent, vars: parent.vars.fork(), cmdSet: false };
    } else if (st.base.kind === 'scratch') {
      const image = await this.scratch(platform);
      state = { image, key: `scratch:${formatPlatform(platform)}`, vars: StageVars.fromImage(plan, []), platform, cmdSet: false };
    } else {
      const image = await this.baseImage(st.base.ref, platform);
      state = { image, key: image.id, vars: StageVars.fromImage(plan, image.config.config?.Env ?? []), platform, cmdSet: false };
      triggers = parseOnbuildTriggers((image.config.config?.['OnBuild'] as string[] | undefined) ?? []);
    }
    const all = [...triggers, ...st.instructions];
    const total = 1 + all.filter(countable).length;
    const label = (n: number) => `[${multi ? `${st.displayName} ` : ''}${n}/${total}]`;
    if (st.base.kind === 'image') {
      const ref = parseReference(st.resolvedBase);
      this.emit({ type: 'vertex', id: this.nextVertex++, name: `${label(1)} FROM ${ref.toString()}`, state: 'done', ms: 0 });
    } else if (st.base.kind === 'stage') {
      this.cached(`${label(1)} FROM ${plan.stages[st.base.index]!.displayName}`);
    }
    if (triggers.length) {
      // The triggers run here and are spent: the stage's image does not pass them on.
      state = await this.commitConfig(state, { ...(state.image.config.config ?? {}), OnBuild: null } as ContainerConfig, undefined, state.key + ':onbuild');
    }
    let n = 1;
    for (const raw of all) {
      this.checkCancel();
      const ins = state.vars.apply(raw);
      const name = countable(ins) ? `${label(++n)} ${displayInstruction(ins)}` : '';
      try {
        state = await this.step(plan, state, ins, name, done, context);
      } catch (e) {
        // Whatever failed (a full store, a registry), the error names the step and its lines.
        if (!TabdockError.is(e) || e.data['line'] !== undefined) throw e;
        throw new TabdockError(e.code, e.message, { ...e.data, line: raw.line, endLine: raw.endLine, ...(name ? { vertex: name } : {}) }, {
          retryable: e.retryable, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
        });
      }
    }
    return state;
  }

  /** A base image: the one here (unless --pull), else pulled for the stage's platform. */
  private async baseImage(ref: string, platform: Platform): Promise<ImageRecord> {
    const r = parseReference(ref);
    const canonical = r.toString();
    return this.vertex(`[internal] load metadata for ${canonical}`, async (log) => {
      const here = await this.d.images.find(ref);
      if (here && !this.req.pull && formatPlatform(here.platform) === formatPlatform(platform)) return here;
      const pulled = await this.d.images.pull(ref, { platform, ...(this.req.signal ? { signal: this.req.signal } : {}) });
      log(`pulled ${canonical} (${formatPlatform(platform)})`);
      return pulled.image;
    });
  }

  private async scratch(platform: Platform): Promise<ImageRecord> {
    const key = `scratch:${formatPlatform(platform)}`;
    const known = await this.lookup(key);
    if (known) return known;
    const img = await this.d.images.create({ layers: [], config: {}, history: [], platform, buildCache: true });
    await this.d.meta.put(CACHE_PREFIX + key, img.id);
    return img;
  }

  private async lookup(key: string): Promise<ImageRecord | undefined> {
    const id = await this.d.meta.get<string>(CACHE_PREFIX + key);
    if (!id) return undefined;
    return this.d.images.find(id).catch(() => undefined);
  }

  /** A step that only changes the config (ENV, CMD...): an image with an empty-layer history entry. */
  private async commitConfig(state: State, config: ContainerConfig, createdBy: string | undefined, key: string): Promise<State> {
    const known = this.req.noCache ? undefined : await this.lookup(key);
    if (known) return { ...state, image: known, key };
    const history: NewHistoryStep[] = createdBy === undefined ? [] : [{ createdBy, comment: HISTORY_COMMENT, emptyLayer: true }];
    const image = await this.d.images.create({ parent: state.image, layers: [], config, history, buildCache: true });
    await this.d.meta.put(CACHE_PREFIX + key, image.id);
    return { ...state, image, key };
  }

  private async step(plan: BuildPlan, state: State, ins: Instruction, name: string, done: Map<number, State>, context: ContextSource): Promise<State> {
    const cfg: ContainerConfig = { ...(state.image.config.config ?? {}) };
    const keyOf = async (extra: { env?: string[]; sources?: string[]; extra?: Record<string, string> } = {}) =>
      stepKey({ parent: state.key, instruction: ins, ...extra });
    const meta = async (config: ContainerConfig, createdBy: string) => this.commitConfig(state, config, createdBy, await keyOf());
    switch (ins.kind) {
      case 'ENV': {
        cfg.Env = replaceOrAppendEnv(cfg.Env ?? [], ins.pairs.map((p) => `${p.key}=${p.value}`));
        return meta(cfg, `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      }
      case 'LABEL': {
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const p of ins.pairs) cfg.Labels[p.key] = p.value;
        return meta(cfg, `LABEL ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      }
      case 'MAINTAINER':
        return meta(cfg, `MAINTAINER ${ins.maintainer}`);
      case 'ARG':
        return meta(cfg, `ARG ${ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`);
      case 'CMD': {
        cfg.Cmd = ins.prependShell ? [...shellOf(cfg), ins.cmdLine.join(' ')] : ins.cmdLine;
        const s = await meta(cfg, `CMD ${JSON.stringify(cfg.Cmd)}`);
        return { ...s, cmdSet: true };
      }
      case 'ENTRYPOINT': {
        cfg.Entrypoint = ins.prependShell ? [...shellOf(cfg), ins.cmdLine.join(' ')] : ins.cmdLine;
        // The reference: an ENTRYPOINT resets a CMD the base image set (not one this stage set).
        if (!state.cmdSet) delete cfg.Cmd;
        return meta(cfg, `ENTRYPOINT ${JSON.stringify(cfg.Entrypoint)}`);
      }
      case 'EXPOSE': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of ins.ports) cfg.ExposedPorts[p] = {};
        return meta(cfg, `EXPOSE map[${ins.ports.map((p) => `${p}:{}`).join(' ')}]`);
      }
      case 'USER':
        cfg.User = ins.user;
        return meta(cfg, `USER ${ins.user}`);
      case 'VOLUME': {
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of ins.volumes) cfg.Volumes[v] = {};
        return meta(cfg, `VOLUME [${ins.volumes.join(' ')}]`);
      }
      case 'STOPSIGNAL':
        cfg.StopSignal = ins.signal;
        return meta(cfg, `STOPSIGNAL ${ins.signal}`);
      case 'SHELL':
        (cfg as Record<string, unknown>)['Shell'] = ins.shell;
        return meta(cfg, `SHELL [${ins.shell.join(' ')}]`);
      case 'ONBUILD': {
        const on = [...(((cfg as Record<string, unknown>)['OnBuild'] as string[] | null | undefined) ?? []), ins.expression];
        (cfg as Record<string, unknown>)['OnBuild'] = on;
        return meta(cfg, `ONBUILD ${ins.expression}`);
      }
      case 'HEALTHCHECK': {
        (cfg as Record<string, unknown>)['Healthcheck'] = healthFromDockerfile(ins.health);
        return meta(cfg, `HEALTHCHECK ${ins.original.replace(/^\s*HEALTHCHECK\s+/i, '')}`);
      }
      case 'WORKDIR': {
        const path = ins.path.startsWith('/') ? ins.path : joinPath(cfg.WorkingDir || '/', ins.path);
        cfg.WorkingDir = path;
        return this.treeStep(state, name, await keyOf(), cfg, `WORKDIR ${path}`, async (fs) => {
          mkdirAll(fs, path, await this.chownOf(cfg.User ?? '', fs, ins, name, true));
        });
      }
      case 'RUN':
        return this.runStep(plan, state, ins, name, cfg);
      case 'COPY':
      case 'ADD':
        return this.copyStep(plan, state, ins, name, cfg, done, context);
    }
  }

  /** The owner `--chown` (or WORKDIR's USER) names, resolved with the step's /etc/passwd and /etc/group. */
  private async chownOf(spec: string, fs: ContainerFs, ins: Instruction, name: string, sameGid = false): Promise<Owner | undefined> {
    if (spec === '') return undefined;
    const read = async (p: string) => {
      const n = resolve(fs.root, p, true).node;
      return n?.kind === 'f' ? new TextDecoder().decode(await fs.read(n, 0, n.size)) : undefined;
    };
    const [u = '', g] = spec.split(':');
    try {
      const r = resolveUser(g === undefined ? u : spec, await read('/etc/passwd'), await read('/etc/group'));
      // Docker's reference: a user with no group takes the same numeric ID as its group (COPY --chown).
      return { uid: r.uid, gid: g === undefined && !sameGid ? r.uid : r.gid };
    } catch (e) {
      throw stepError('BUILD_STEP_FAILED', `unable to convert uid/gid chown string to host mapping: ${(e as Error).message}`, ins, name);
    }
  }

  /**
   * A step that writes a tree (WORKDIR, COPY, ADD): the state's tree opened on its own
   * (no container, nothing runs), `work` applied, its changes a layer (none: an empty
   * layer, as BuildKit records a step that changed nothing).
   */
  private async treeStep(state: State, name: string, key: string, cfg: ContainerConfig, createdBy: string, work: (fs: ContainerFs) => Promise<void>): Promise<State> {
    const known = this.req.noCache ? undefined : await this.lookup(key);
    if (known) {
      this.cached(name);
      return { ...state, image: known, key };
    }
    return this.vertex(name, async () => {
      const box = { Id: `build-${randomHex(32)}`, Image: state.image.id };
      try {
        const fs = await this.d.filesystems.tree(box);
        await work(fs).catch((e: unknown) => {
          // ENOSPC from the tree: the store's cap (or the disk) has no room for these files.
          if ((e as { errno?: number }).errno === 28) {
            throw new TabdockError('STORE_FULL', `the store is full: the files of this step need more room than it has left; free some with 'builder prune', 'rmi' or 'image prune'`, {});
          }
          throw e;
        });
        return await this.commitTree(state, box, key, cfg, createdBy);
      } finally {
        await this.d.filesystems.remove(box).catch(() => {});
      }
    });
  }

  private async commitTree(state: State, box: { Id: string; Image: string }, key: string, cfg: ContainerConfig, createdBy: string): Promise<State> {
    const fs = await this.d.filesystems.tree(box);
    await fs.sync();
    const empty = diff(fs).length === 0;
    const layers: NewLayer[] = empty ? [] : [await this.d.filesystems.commit(box)];
    const image = await this.d.images.create({ parent: state.image, layers, config: cfg, history: [{ createdBy, comment: HISTORY_COMMENT, ...(empty ? { emptyLayer: true } : {}) }], buildCache: true });
    await this.d.meta.put(CACHE_PREFIX + key, image.id);
    return { ...state, image, key };
  }

  private async runStep(plan: BuildPlan, state: State, ins: InstructionOf<'RUN'>, name: string, cfg: ContainerConfig): Promise<State> {
    let args = ins.cmdLine;
    if (ins.files.length > 0) {
      const f = ins.files[0]!;
      const body = f.chomp ? f.data.replace(/^\t+/gm, '') : f.data;
      if (/^<<-?["']?\w+["']?$/.test(args[0] ?? '') && args.length === 1) {
        if (body.startsWith('#!')) throw stepError('BUILD_STEP_FAILED', `a RUN heredoc that starts with #! (run as its own program) is not supported by this builder; run the interpreter on it instead (RUN python3 <<EOF)`, ins, name);
        args = [body];
      } else {
        args = [[args.join(' '), ...ins.files.map((x) => `${x.data}${x.name}`)].join('\n')];
      }
    }
    const argv = ins.prependShell ? [...shellOf(cfg), args.join(' ')] : args;
    // What the step's history and key carry of its ARGs (BuildKit: `|N K=V ... cmd`).
    const argPairs = [...state.vars.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const createdBy = `RUN ${argPairs.length ? `|${argPairs.length} ${argPairs.join(' ')} ` : ''}${argv.join(' ')} # buildkit`;
    const network = ins.network !== 'default' ? ins.network : this.req.network && this.req.network !== 'default' ? this.req.network : 'default';
    const env = [...state.vars.envList(), ...[...plan.proxyEnv].map(([k, v]) => `${k}=${v}`)];
    const key = await stepKey({ parent: state.key, instruction: ins, env: state.vars.envList(), extra: { network, platform: formatPlatform(state.platform) } });
    const known = this.req.noCache ? undefined : await this.lookup(key);
    if (known) {
      this.cached(name);
      return { ...state, image: known, key };
    }
    return this.vertex(name, async (log) => {
      const options = parseRunOptions({ flags: {}, args: [state.image.id] });
      Object.assign(options, {
        cmd: argv, entrypoint: '', env, network, hostname: 'buildkitsandbox', pull: 'never',
        ...(formatPlatform(state.platform) !== formatPlatform(HOST) ? { platform: formatPlatform(state.platform) } : {}),
      });
      const { Id } = await this.d.containers.createContainer({ image: state.image.id, options });
      const onAbort = () => void this.d.containers.killContainer(Id, 'KILL').catch(() => {});
      this.req.signal?.addEventListener('abort', onAbort);
      const tail: string[] = [];
      let partial = '';
      const dec = new TextDecoder();
      try {
        const att = await this.d.containers.attachContainer(Id, (chunk) => {
          const text = partial + dec.decode(chunk, { stream: true });
          const lines = text.split(/\r?\n/);
          partial = lines.pop() ?? '';
          for (const l of lines) {
            log(l);
            tail.push(l);
            if (tail.length > 6) tail.shift();
          }
        });
        await this.d.containers.startContainer(Id);
        const r = await this.d.containers.waitContainer(Id);
        await att.detach().catch(() => {});
        if (partial) {
          log(partial);
          tail.push(partial);
        }
        this.checkCancel();
        const shown = ins.prependShell ? [...shellOf(cfg), args.join(' ')] : args;
        if (r.StatusCode !== 0) {
          throw stepError('BUILD_STEP_FAILED', `process "${shown.join(' ')}" did not complete successfully: exit code: ${r.StatusCode}`, ins, name, { exitCode: r.StatusCode, logTail: tail });
        }
        return await this.commitTree(state, { Id, Image: state.image.id }, key, cfg, createdBy);
      } finally {
        this.req.signal?.removeEventListener('abort', onAbort);
        await this.d.containers.removeContainer(Id, { force: true, volumes: true }).catch(() => {});
      }
    });
  }

  private async copyStep(plan: BuildPlan, state: State, ins: InstructionOf<'COPY'> | InstructionOf<'ADD'>, name: string, cfg: ContainerConfig, done: Map<number, State>, context: ContextSource): Promise<State> {
    const sources = classifySources(ins);
    const mode = parseChmod(ins.chmod);
    // --link only changes how BuildKit stacks the layer (apart from the one below it); the files it writes are the same.
    if (ins.exclude.length) throw stepError('BUILD_STEP_FAILED', `${ins.kind} --exclude is not supported by this builder yet`, ins, name);
    const dest = ins.dest.startsWith('/') ? ins.dest : joinPath(cfg.WorkingDir || '/', ins.dest) + (ins.dest.endsWith('/') || ins.dest === '.' ? '/' : '');
    // Where the sources come from: the context, an earlier stage, or an image.
    let src: ContextSource = context;
    let fromKey = 'context';
    let fromBox: { Id: string; Image: string } | undefined;
    const from = ins.kind === 'COPY' ? ins.from : '';
    if (from) {
      let image: ImageRecord | undefined;
      const idx = /^\d+$/.test(from) ? Number(from) : plan.stages.find((x) => x.name !== '' && x.name === from.toLowerCase())?.index;
      if (idx !== undefined && done.has(idx)) image = done.get(idx)!.image;
      else image = await this.baseImage(from, state.platform);
      fromKey = image.id;
      fromBox = { Id: `build-${randomHex(32)}`, Image: image.id };
      src = new TreeSource(await this.d.filesystems.tree(fromBox));
    }
    try {
      // Each source's matches and checksum (the key); a source that matches nothing fails here.
      const matched: { paths: string[]; kind: 'local' | 'url'; url?: string; filename?: string; bytes?: Uint8Array; mtime?: number }[] = [];
      const sums: string[] = [];
      for (const s of sources) {
        if (s.kind === 'url') {
          const got = await this.download(s.url, ins, name);
          if (ins.kind === 'ADD' && ins.checksum) {
            const sum = (await sha256(got.bytes)).toString();
            if (sum !== ins.checksum) throw stepError('BUILD_STEP_FAILED', `digest mismatch ${sum}: ${ins.checksum}`, ins, name);
          }
          sums.push(`url:${s.url}:${(await sha256(got.bytes)).toString()}`);
          matched.push({ paths: [], kind: 'url', url: s.url, filename: s.filename, bytes: got.bytes, ...(got.mtime !== undefined ? { mtime: got.mtime } : {}) });
          continue;
        }
        const clean = s.path.replace(/^\/+/, '').replace(/\/+$/, '') || '.';
        const paths = clean === '.' ? [''] : await globContext(src, clean);
        if (paths.length === 0) {
          throw stepError('BUILD_SOURCE_NOT_FOUND', `failed to compute cache key: failed to calculate checksum of ref: "/${clean}": not found`, ins, name, { path: s.path });
        }
        sums.push(from ? `${fromKey}:${clean}` : await sourceChecksum(src, clean, hashWasmSha256));
        matched.push({ paths, kind: 'local' });
      }
      for (const c of ins.contents) sums.push(`heredoc:${c.path}:${c.data}`);
      const key = await stepKey({ parent: state.key, instruction: ins, sources: sums, extra: { from: fromKey } });
      const count = matched.reduce((a, m) => a + (m.kind === 'url' ? 1 : m.paths.length), 0) + ins.contents.length;
      if (count > 1 && !dest.endsWith('/')) {
        throw stepError('BUILD_STEP_FAILED', `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`, ins, name);
      }
      const createdBy = `${ins.kind} ${from ? `--from=${from} ` : ''}${ins.chown ? `--chown=${ins.chown} ` : ''}${ins.chmod ? `--chmod=${ins.chmod} ` : ''}${[...ins.sources, ...ins.contents.map((c) => `<<${c.path}`)].join(' ')} ${ins.dest} # buildkit`;
      return await this.treeStep(state, name, key, cfg, createdBy, async (fs) => {
        const owner = await this.chownOf(ins.chown, fs, ins, name);
        const o: CopyOptions = { ...(owner ? { owner } : {}), ...(mode !== undefined ? { mode } : {}) };
        for (const m of matched) {
          if (m.kind === 'url') {
            const unpack = ins.kind === 'ADD' && ins.unpack === true ? archiveKind(m.bytes!) : undefined;
            if (unpack === 'gzip' || unpack === 'tar') await unpackInto(fs, m.bytes!, unpack, dest, o, m.url!);
            else await copySources(fs, single(m.filename!, m.bytes!, m.mtime), [m.filename!], dest, { ...o, mode: mode ?? 0o600 });
            continue;
          }
          if (ins.kind === 'ADD' && ins.unpack !== false) {
            // ADD unpacks a local archive (plain or gzip tar) into the destination.
            const rest: string[] = [];
            for (const p of m.paths) {
              const e = await src.stat(p);
              if (e?.type === 'file') {
                const bytes = await src.read(p);
                const kind = archiveKind(bytes);
                if (kind === 'gzip' || kind === 'tar') {
                  await unpackInto(fs, bytes, kind, dest, o, p);
                  continue;
                }
                if (kind === 'bzip2' || kind === 'xz') throw stepError('BUILD_STEP_FAILED', `ADD cannot unpack ${p}: ${kind} archives are not supported by this builder (gzip and plain tar are)`, ins, name);
              }
              rest.push(p);
            }
            if (rest.length) await copySources(fs, src, rest, dest, o);
            continue;
          }
          await copySources(fs, src, m.paths, dest, o);
        }
        for (const c of ins.contents) await copySources(fs, single(c.path, new TextEncoder().encode(c.data)), [c.path], dest, { ...o, mode: mode ?? 0o644 });
      });
    } finally {
      if (fromBox) await this.d.filesystems.remove(fromBox).catch(() => {});
    }
  }

  /** ADD of a URL: fetched through the build's network; its bytes and Last-Modified. */
  private async download(url: string, ins: Instruction, name: string): Promise<{ bytes: Uint8Array; mtime?: number }> {
    const f = this.d.fetch;
    if (!f) throw stepError('BUILD_STEP_FAILED', `ADD of a URL needs the network, which this engine does not have`, ins, name);
    let res: Response;
    try {
      res = await f(url, this.req.signal ? { signal: this.req.signal } : {});
    } catch (e) {
      throw stepError('BUILD_STEP_FAILED', `failed to load ${url}: ${(e as Error).message}`, ins, name);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw stepError('BUILD_STEP_FAILED', `failed to load cache key: invalid response status ${res.status}`, ins, name);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const lm = res.headers.get('last-modified');
    const t = lm ? Date.parse(lm) : NaN;
    return { bytes, ...(Number.isFinite(t) ? { mtime: t } : {}) };
  }

  /** The result: labels applied, tagged, named. */
  private async export(final: State): Promise<BuildResult> {
    return this.vertex('exporting to image', async (log) => {
      let image = final.image;
      const labels = this.req.labels ?? {};
      if (Object.keys(labels).length) {
        const cfg = { ...(image.config.config ?? {}) };
        cfg.Labels = { ...(cfg.Labels ?? {}), ...labels };
        image = await this.d.images.create({ parent: image, layers: [], config: cfg, history: [], buildCache: true });
      }
      log('exporting layers done');
      log(`writing image ${image.id} done`);
      const tags: string[] = [];
      for (const t of this.req.tags ?? []) {
        const r = parseReference(t);
        const full = `${r.name}:${r.tag}`;
        await this.d.images.tag(image.id, full);
        log(`naming to ${full} done`);
        tags.push(full);
      }
      return { id: image.id, tags };
    });
  }
}

/** One file as a source (a downloaded URL, a heredoc). */
function single(name: string, bytes: Uint8Array, mtime?: number): ContextSource {
  const e = { path: name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: bytes.byteLength, ...(mtime !== undefined ? { mtime } : {}) };
  return {
    list: async (dir) => (dir === '' ? [e] : []),
    read: async () => bytes,
    stat: async (p) => (p === name ? e : p === '' ? { path: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 } : undefined),
  };
}

function shellOf(cfg: ContainerConfig): string[] {
  const s = (cfg as Record<string, unknown>)['Shell'];
  return Array.isArray(s) && s.length ? (s as string[]) : DEFAULT_SHELL;
}

function joinPath(base: string, rel: string): string {
  const out: string[] = [];
  for (const part of `${base}/${rel}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** The instruction as BuildKit names its vertex (`RUN echo hi`, `COPY a.txt /app/`). */
function displayInstruction(ins: Instruction): string {
  return ins.original.replace(/\s*\n\s*/g, ' ').trim().replace(/^(\w+)/, (m) => m.toUpperCase());
}

export function humanBytes(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(2).replace(/\.?0+$/, '')}${units[i]}`;
}

function randomHex(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n / 2));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
