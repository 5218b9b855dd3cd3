import { expect, it } from 'vitest';
import type { ContainerSummary } from '../../engine/api.ts';
import { containerStatus } from './container-status.ts';

const c = (State: string, extra: Partial<ContainerSummary> = {}): ContainerSummary => ({
  Id: 'x', Names: ['/x'], Image: 'busybox', ImageID: 'sha256:x', Command: 'sh', Created: '', State, Status: State, StartedAt: '2026-01-01T00:00:00Z', FinishedAt: '2026-01-01T00:01:00Z', ExitCode: 3, Ports: [], ...extra,
});
const now = new Date('2026-01-01T00:02:00Z');

it('words a container state as docker ps does', () => {
  expect(containerStatus(c('running'), now)).toBe('Up 2 minutes');
  expect(containerStatus(c('exited'), now)).toBe('Exited (3) About a minute ago');
  expect(containerStatus(c('created'), now)).toBe('Created');
  // docker ps: a paused container is still up, and says so
  expect(containerStatus(c('paused'), now)).toBe('Up 2 minutes (Paused)');
});
