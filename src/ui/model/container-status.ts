import type { ContainerSummary } from '../../engine/api.ts';
import { statusText } from '../../docker-cli/index.ts';

/** `docker ps` STATUS: `Up 5 seconds`, `Exited (0) 3 minutes ago`, `Created` (docker-cli's words). */
export function containerStatus(c: ContainerSummary, now: Date): string {
  return statusText(c, now);
}
