import type { ContainerSummary } from '../../engine/api.ts';
import { ago, humanDuration } from '../../docker-cli/index.ts';

/**
 * `docker ps` STATUS: `Up 5 seconds`, `Exited (0) 3 minutes ago`, `Created`. The same
 * words as docker-cli's `ps` (its statusText is not part of that module's public face).
 */
export function containerStatus(c: ContainerSummary, now: Date): string {
  if (c.State === 'running') return `Up ${humanDuration(now.getTime() - Date.parse(c.StartedAt))}`;
  if (c.State === 'exited') return `Exited (${c.ExitCode}) ${ago(c.FinishedAt, now)}`;
  return c.State === 'created' ? 'Created' : c.State.charAt(0).toUpperCase() + c.State.slice(1);
}
