import type { ContainerConfig } from '../../registry-client/index.ts';
import { mergeImageEnv } from './env.ts';
import { cleanPath } from './mounts.ts';
import type { RunOptions } from './run-options.ts';
import { parseSignal } from './signals.ts';
import { mergeHealthcheck, type HealthConfig } from './healthcheck.ts';

/** Docker's default stop signal and timeout (moby `container.DefaultStopTimeout`, 10 s). */
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';
export const DEFAULT_STOP_TIMEOUT_S = 10;

/**
 * The container's `Config` as `docker inspect` shows it: the run options merged over the
 * image config by moby's rules (`daemon/commit.go` `merge`): user values win; Env by
 * key (user first); Cmd only when neither args nor --entrypoint were given; Labels and
 * Volumes unioned; User, WorkingDir, StopSignal from the image when not given.
 */
export interface MergedConfig {
  Hostname: string;
  User: string;
  Tty: boolean;
  OpenStdin: boolean;
  Env: string[];
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  WorkingDir: string;
  Labels: Record<string, string>;
  Volumes: Record<string, object> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Image: string;
  /** The image's HEALTHCHECK with `--health-*` over it (moby merge), when either has one. */
  Healthcheck?: HealthConfig;
  /** The image's SHELL (a CMD-SHELL health check runs under it). */
  Shell?: string[];
}

export function mergeContainerConfig(image: ContainerConfig | undefined, o: RunOptions, hostname: string): MergedConfig {
  const img = image ?? {};
  let entrypoint: string[] | null = o.entrypoint === undefined ? null : [o.entrypoint];
  let cmd: string[] | null = o.cmd.length ? [...o.cmd] : null;
  if (entrypoint === null) {
    if (cmd === null) cmd = img.Cmd ? [...img.Cmd] : null;
    entrypoint = img.Entrypoint ? [...img.Entrypoint] : null;
  }
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  const volumes: Record<string, object> = { ...(img.Volumes ?? {}) };
  for (const v of o.volumes) if (v.type === 'volume' && v.source === undefined) volumes[v.target] = {};
  const c: MergedConfig = {
    Hostname: hostname,
    User: o.user ?? img.User ?? '',
    Tty: o.tty,
    OpenStdin: o.interactive,
    Env: mergeImageEnv(img.Env ?? [], o.env),
    Cmd: cmd,
    Entrypoint: entrypoint,
    WorkingDir: o.workdir ?? img.WorkingDir ?? '',
    Labels: { ...(img.Labels ?? {}), ...o.labels },
    Volumes: Object.keys(volumes).length ? volumes : null,
    Image: o.image,
  };
  const stop = o.stopSignal ?? img.StopSignal;
  if (stop) c.StopSignal = stop;
  if (o.stopTimeout !== undefined) c.StopTimeout = o.stopTimeout;
  const health = mergeHealthcheck(img['Healthcheck'] as HealthConfig | undefined, o.healthcheck);
  if (health) c.Healthcheck = health;
  const shell = img['Shell'];
  if (Array.isArray(shell) && shell.length) c.Shell = shell as string[];
  return c;
}

/** The signal `docker stop` sends first: `--stop-signal`, else the image's, else SIGTERM. */
export function stopSignalOf(config: { StopSignal?: string }): { number: number; name: string } {
  return parseSignal(config.StopSignal || DEFAULT_STOP_SIGNAL);
}

/**
 * How long `docker stop` waits before SIGKILL: the `-t` given, else the container's
 * `--stop-timeout`, else 10 s (moby `container.StopTimeout`, `DefaultStopTimeout`).
 */
export function stopTimeoutOf(config: { StopTimeout?: number }, given?: number): number {
  return given ?? config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
}

/**
 * The anonymous volumes Docker creates for the image's `VOLUME`s and for `-v /path`:
 * every such path that no `-v`, `--mount` or `--tmpfs` of the run already covers
 * (moby `daemon/create_unix.go` `createContainerOSSpecificSettings`).
 */
export function anonymousVolumeTargets(image: ContainerConfig | undefined, o: RunOptions): string[] {
  const covered = new Set([...o.volumes.filter((v) => v.source !== undefined).map((v) => v.target), ...o.tmpfs.map((t) => t.target)]);
  const out: string[] = [];
  for (const t of [...Object.keys(image?.Volumes ?? {}).map(cleanPath), ...o.volumes.filter((v) => v.source === undefined).map((v) => v.target)]) {
    if (!covered.has(t) && !out.includes(t)) out.push(t);
  }
  return out;
}
