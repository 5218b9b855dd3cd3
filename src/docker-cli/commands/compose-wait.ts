import type { EngineApi } from '../../engine/api.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { formatGoDuration } from '../../shared/go-duration.ts';
import { TabdockError } from '../../shared/errors.ts';

interface Inspected {
  Name: string;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  Config: { Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } };
}

const fail = (message: string) => new TabdockError('CLI_ERROR', message, {}, { exitCode: 1 });

/**
 * compose `isServiceHealthy`: true when every container is healthy (or, with
 * `fallbackRunning`, running without a health check); false while one is starting; an
 * error for one that exited, is unhealthy, or has no health check to wait for.
 */
async function healthyNow(api: EngineApi, ids: string[], fallbackRunning: boolean): Promise<boolean> {
  for (const id of ids) {
    const c = (await api.inspectContainer(id)) as unknown as Inspected;
    const name = c.Name.slice(1);
    if (c.State.Status === 'exited') throw fail(`container ${name} exited (${c.State.ExitCode})`);
    if (!c.Config.Healthcheck && fallbackRunning) {
      if (c.State.Status !== 'running') return false;
      continue;
    }
    if (!c.State.Health) throw fail(`container ${name} has no healthcheck configured`);
    if (c.State.Health.Status === 'unhealthy') throw fail(`container ${name} is unhealthy`);
    if (c.State.Health.Status === 'starting') return false;
  }
  return true;
}

/**
 * How long a health check can take to decide (tabdock's bound; compose waits without
 * one): the start period, then retries + 1 probes of interval + timeout, each with 30 s
 * more for an exec to start in a slow guest. Docker's defaults when unset.
 */
async function decisionBoundMs(api: EngineApi, ids: string[]): Promise<number> {
  let most = 60_000;
  for (const id of ids) {
    const c = (await api.inspectContainer(id).catch(() => undefined)) as unknown as Inspected | undefined;
    const h = c?.Config.Healthcheck;
    if (!h) continue;
    const ms = (v: number | undefined, d: number) => (v ? v / 1e6 : d);
    const probe = ms(h.Interval, 30_000) + ms(h.Timeout, 30_000) + 30_000;
    most = Math.max(most, ms(h.StartPeriod, 0) + ((h.Retries || 3) + 1) * probe);
  }
  return most;
}

/**
 * Waits until the containers are healthy (`service_healthy`) or, with `fallbackRunning`,
 * running or healthy (`up --wait`), re-checking at each of their events (no polling).
 * Errors are compose's: `dependency failed to start: container X is unhealthy`;
 * with `timeoutSeconds` (`--wait-timeout`), `application not healthy after 10s`.
 */
export async function waitHealthy(api: EngineApi, ids: string[], o: { fallbackRunning: boolean; timeoutSeconds?: number }): Promise<void> {
  let wake: () => void = () => {};
  const sub = await api.subscribeEvents((e: EngineEvent) => {
    if (e.type === 'container' && ids.includes(e.id)) wake();
  });
  const limitMs = o.timeoutSeconds ? o.timeoutSeconds * 1000 : await decisionBoundMs(api, ids);
  const deadline = Date.now() + limitMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const changed = new Promise<void>((r) => (wake = r));
      try {
        if (await healthyNow(api, ids, o.fallbackRunning)) return;
      } catch (e) {
        throw TabdockError.is(e) ? fail(`dependency failed to start: ${e.message}`) : e;
      }
      const left = deadline - Date.now();
      const timedOut = left <= 0 || (await Promise.race([changed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), left)))]));
      clearTimeout(timer);
      if (timedOut) {
        if (o.timeoutSeconds) throw fail(`application not healthy after ${formatGoDuration(o.timeoutSeconds * 1e9)}`);
        throw fail(`dependency failed to start: containers did not become healthy within ${Math.round(limitMs / 1000)}s`);
      }
    }
  } finally {
    clearTimeout(timer);
    await sub.close().catch(() => {});
  }
}
