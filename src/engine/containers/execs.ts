import { TabdockError } from '../../shared/errors.ts';
import { execEnv } from '../spec/env.ts';
import { additionalGroups, resolveUser } from '../spec/user.ts';
import type { ExecRequest } from '../api.ts';
import type { ContainerEventDetail } from '../events.ts';
import type { ContainerFilesystems } from './filesystems.ts';
import type { ContainerRecord } from './record.ts';
import type { RuntimeProcess } from './runtime.ts';
import type { Runtimes } from './runtimes.ts';

/** 64 hex digits, as Docker makes IDs. */
export function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export interface ExecsDeps {
  filesystems: ContainerFilesystems;
  runtimes: Runtimes;
  /** Publishes a container event (the service's `announce`). */
  announce(c: ContainerRecord, detail: ContainerEventDetail): void;
}

/**
 * Processes started in running containers: `docker exec` and the health monitor's probes
 * (moby runs a probe as an exec too). One place makes them as moby's exec does: the user
 * resolved against the container's /etc files, the container's env under the exec's,
 * `exec_create`/`exec_start`/`exec_die` events, and the running IDs inspect shows.
 */
export class Execs {
  private readonly running = new Map<string, Set<string>>();

  constructor(private readonly deps: ExecsDeps) {}

  /** The container's running execs (inspect's ExecIDs). */
  ids(containerId: string): string[] {
    return [...(this.running.get(containerId) ?? [])];
  }

  async start(c: ContainerRecord, req: ExecRequest): Promise<{ execId: string; proc: RuntimeProcess }> {
    // moby's exec: the user (`-u`, else the container's) resolved against the container's
    // own /etc/passwd and /etc/group as they are now, as `run -u` is; a user that does not
    // resolve fails the exec as Docker's does (126: the process could not be started).
    // The container's own writes to those files reach its tree first: its runtime may hold
    // them (the guest's page cache, see GuestRuntime.flushFiles), root's groups included.
    const runtimes = this.deps.runtimes;
    const runtime = await runtimes.runtime(runtimes.forContainer(c));
    await runtime.flushFiles?.(c);
    const read = async (p: string) => {
      const b = await this.deps.filesystems.readFile(c, p);
      return b ? new TextDecoder().decode(b) : undefined;
    };
    const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
    let user;
    try {
      user = resolveUser(req.user || c.Config.User || '', passwd, group);
    } catch (e) {
      if (TabdockError.is(e)) throw new TabdockError(e.code, e.message, e.data, { exitCode: 126 });
      throw e;
    }
    const tty = req.tty ?? false;
    // moby: exec_create when the exec is made, exec_start as it starts, exec_die at its exit
    // (the docker CLI makes and starts it in one go, as this does).
    const execId = randomHex(32);
    this.deps.announce(c, { action: 'exec_create', execId, command: req.args });
    this.deps.announce(c, { action: 'exec_start', execId, command: req.args });
    const proc = await runtime.exec({
      container: c, args: req.args, env: execEnv({ configEnv: c.Config.Env, execEnv: req.env ?? [], hostname: c.Config.Hostname, tty, home: user.home }),
      cwd: req.workdir || c.Config.WorkingDir || '/', user: `${user.uid}:${user.gid}`, additionalGids: [...new Set([...user.additionalGids, ...additionalGroups(c.HostConfig.GroupAdd ?? [], group)])],
      tty, ...(req.cols ? { cols: req.cols } : {}), ...(req.rows ? { rows: req.rows } : {}),
    });
    const running = this.running.get(c.Id) ?? new Set<string>();
    this.running.set(c.Id, running.add(execId));
    void proc.exit.then((end) => this.deps.announce(c, { action: 'exec_die', execId, exitCode: end.code }), () => {}).finally(() => {
      running.delete(execId);
      if (running.size === 0 && this.running.get(c.Id) === running) this.running.delete(c.Id);
    });
    return { execId, proc };
  }
}
