import type { ContainerEventDetail } from '../events.ts';
import {
  applyProbeResult, goDuration, hasProbe, healthTiming, nextProbeDelay, probeCommand, ProbeOutput,
  type HealthConfig, type HealthResult, type HealthState,
} from '../spec/healthcheck.ts';
import type { Execs } from './execs.ts';
import type { ContainerRecord } from './record.ts';
import type { RuntimeProcess } from './runtime.ts';
import type { ContainerStore } from './store.ts';

export interface HealthMonitorDeps {
  store: ContainerStore;
  execs: Execs;
  announce(c: ContainerRecord, detail: ContainerEventDetail): void;
  now: () => Date;
}

interface Watch {
  active: boolean;
  health: HealthState;
  timer?: ReturnType<typeof setTimeout>;
  /** The probe running now (killed when the monitor stops). */
  probe?: RuntimeProcess;
  /** The last save of State.Health (a stop waits for it, so no later save undoes the exit's). */
  writing: Promise<void>;
}

/**
 * The state a container starts with (moby `initHealthMonitor`): `starting`, no failing
 * streak, the log of earlier runs kept; undefined when its Healthcheck runs no probe
 * (none, `NONE`, an unknown type): such a container has no State.Health.
 */
export function startingHealth(h: HealthConfig | undefined, prev: HealthState | undefined): HealthState | undefined {
  if (!hasProbe(h)) return undefined;
  return { Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] };
}

/**
 * moby `daemon/health.go` `monitor`: while a container runs (and is not paused), its
 * health check runs as an exec in it, first after the start interval (within the start
 * period) or the interval, then again that long after each probe ends. Each result goes
 * through `applyProbeResult` (engine/spec), is saved in the record's State.Health, and a
 * change of status is a `health_status: <status>` event. Timers are the engine's own
 * (setTimeout, as restarts use), so the page and Node behave alike.
 */
export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly deps: HealthMonitorDeps) {}

  /** Starts probing `c` (just started, its State.Health set by `startingHealth`). */
  start(c: ContainerRecord): void {
    if (!c.State.Health || !hasProbe(c.Config.Healthcheck)) return;
    // One monitor per container (moby's OpenMonitorChannel): a restart replaces the old one.
    const old = this.watches.get(c.Id);
    if (old) {
      old.active = false;
      clearTimeout(old.timer);
    }
    const w: Watch = { active: true, health: c.State.Health, writing: Promise.resolve() };
    this.watches.set(c.Id, w);
    this.schedule(c, w);
  }

  /**
   * Stops probing (exit, pause, removal): a probe under way is killed and its result
   * dropped; resolves once no save of this monitor can land any more. True if it ran.
   */
  async stop(id: string): Promise<boolean> {
    const w = this.watches.get(id);
    if (!w) return false;
    this.watches.delete(id);
    w.active = false;
    clearTimeout(w.timer);
    await w.probe?.kill(9).catch(() => {});
    await w.writing.catch(() => {});
    return true;
  }

  private schedule(c: ContainerRecord, w: Watch): void {
    const delay = nextProbeDelay(c.Config.Healthcheck!, Date.parse(c.State.StartedAt), this.deps.now().getTime(), w.health.Status);
    w.timer = setTimeout(() => void this.probeOnce(c, w), delay);
  }

  private async probeOnce(c: ContainerRecord, w: Watch): Promise<void> {
    if (!w.active) return;
    const h = c.Config.Healthcheck!;
    const result = await this.run(c, h, w);
    if (!w.active) return;
    const before = w.health.Status;
    w.health = applyProbeResult(w.health, result, h, Date.parse(c.State.StartedAt));
    const health = w.health;
    let fresh: ContainerRecord | undefined;
    w.writing = (async () => {
      fresh = await this.deps.store.get(c.Id);
      // Checked after the read, with no await before the save: a stop in between wins.
      if (!fresh || !w.active) return;
      fresh.State = { ...fresh.State, Health: health };
      await this.deps.store.save(fresh);
    })();
    await w.writing.catch(() => {});
    if (!w.active) return;
    if (health.Status !== before) this.deps.announce(fresh ?? c, { action: 'health_status', status: health.Status });
    this.schedule(c, w);
  }

  /** moby `cmdProbe.run`: the probe as an exec (the container's user and working directory, no TTY, no stdin). */
  private async run(c: ContainerRecord, h: HealthConfig, w: Watch): Promise<HealthResult> {
    const start = this.deps.now().toISOString();
    const done = (ExitCode: number, Output: string): HealthResult => ({ Start: start, End: this.deps.now().toISOString(), ExitCode, Output });
    const args = probeCommand(h, c.Config.Shell);
    if (!args) return done(-1, `healthcheck for container ${c.Id} has no command`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const { proc } = await this.deps.execs.start(c, { args, user: c.Config.User, workdir: c.Config.WorkingDir });
      w.probe = proc;
      const out = new ProbeOutput();
      proc.onOutput((chunk) => out.write(chunk));
      proc.closeStdin();
      const { timeoutMs } = healthTiming(h);
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const end = await Promise.race([proc.exit, timedOut]);
      if (end === 'timeout') {
        // moby: the probe is cancelled (killed) and waited for; exit -1 with the timeout in Go's words.
        await proc.kill(9).catch(() => {});
        await proc.exit.catch(() => {});
        const text = out.toString();
        const limit = goDuration(timeoutMs * 1e6);
        return done(-1, text ? `Health check exceeded timeout (${limit}): ${text}` : `Health check exceeded timeout (${limit})`);
      }
      return done(end.code, out.toString());
    } catch (e) {
      return done(-1, e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
      w.probe = undefined;
    }
  }
}
