import { TabdockError } from '../../shared/errors.ts';
import type { ContainerRecord } from '../containers/record.ts';
import type { ImageRecord } from '../image-record.ts';
import { containerEnv } from '../spec/env.ts';
import { cleanPath } from '../spec/mounts.ts';
import type { RunOptions } from '../spec/run-options.ts';

/** A wasm32 module addresses 4 GiB of linear memory at most. */
export const WASM32_MEMORY_MAX = 4 * 1024 ** 3;

/** What the worker runs (the WASI runtime's `StartRequest.spec`). */
export interface WasiProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
}

/**
 * The process of a WASI container, by Docker's rules where they apply: the command merged
 * at create (Entrypoint/Cmd), the environment as for Linux images (PATH, HOSTNAME, TERM
 * with -t, image Env then -e; HOME `/`, runc's default without a passwd entry), and
 * WorkingDir. WASI preview 1 has no working directory (wasi-libc resolves relative paths
 * from `/`, as under runwasi): the directory is made, and given to the module as PWD.
 */
export async function wasiSpec(c: ContainerRecord, image: ImageRecord): Promise<Record<string, unknown>> {
  const cfg = image.config.config ?? {};
  const workdir = c.Config.WorkingDir || '/';
  if (!workdir.startsWith('/')) {
    throw new TabdockError('INVALID_CONFIG', `the working directory '${workdir}' is invalid, it needs to be an absolute path`, {}, { exitCode: 125 });
  }
  const cwd = cleanPath(workdir);
  const env = containerEnv({ imageEnv: cfg.Env ?? [], userEnv: c.RunOptions.env, hostname: c.Config.Hostname, tty: c.Config.Tty, home: '/' });
  if (!env.some((e) => e.startsWith('PWD='))) env.push(`PWD=${cwd}`);
  const process: WasiProcessSpec = { args: [c.Path, ...c.Args], env, cwd };
  return { process };
}

const notApplicable = (flag: string, why: string) =>
  new TabdockError('FLAG_ERROR', `${flag} does not apply to WebAssembly (wasi/wasm) containers: ${why}`, { flag }, { exitCode: 125 });

/** Refuses the run flags a WASI module cannot honour, before anything is created. */
export function checkWasiOptions(o: RunOptions): void {
  if (o.capAdd.length || o.capDrop.length) throw notApplicable(o.capAdd.length ? '--cap-add' : '--cap-drop', 'a module has no Linux capabilities');
  if (o.privileged) throw notApplicable('--privileged', 'a module has no Linux privileges to gain');
  if (o.seccomp !== 'default' || o.noNewPrivileges) throw notApplicable('--security-opt', 'a module makes no Linux system calls');
  if (o.user !== undefined) throw notApplicable('--user', 'WASI has no users');
  if (o.memory !== undefined && o.memory > WASM32_MEMORY_MAX) throw notApplicable(`--memory ${o.memory}`, 'a wasm32 module can address 4 GiB at most');
  if (o.memorySwap !== undefined) throw notApplicable('--memory-swap', 'a module has no swap');
  if (o.nanoCpus !== undefined) throw notApplicable('--cpus', 'a module runs on one thread, without CPU quotas');
  if (o.pidsLimit !== undefined) throw notApplicable('--pids-limit', 'a module is one process');
  if (o.ulimits.length) throw notApplicable('--ulimit', 'a module has no resource limits of Linux');
  if (o.tmpfs.length) throw notApplicable('--tmpfs', 'tabdock gives a module one tree (its image and writable layer)');
  if (o.volumes.length) throw notApplicable('-v/--mount', 'tabdock gives a module one tree (its image and writable layer)');
  if (o.init) throw notApplicable('--init', 'a module is one process, with no children to reap');
  if (o.publish.length) throw notApplicable('-p/--publish', 'a WASI (preview 1) module has no sockets');
  // A probe is an exec, and a module is a single process. (A wasm image's own HEALTHCHECK
  // still runs: each probe fails as exec does, exit -1 with that sentence.)
  const test = o.healthcheck?.Test?.[0];
  if (test === 'CMD' || test === 'CMD-SHELL') throw notApplicable('--health-cmd', 'a health check runs as an exec, and a module is a single process');
}
