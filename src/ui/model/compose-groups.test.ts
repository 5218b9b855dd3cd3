import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../engine/api.ts';
import { groupByProject } from './compose-groups.ts';

const c = (name: string, state: string, labels?: Record<string, string>): ContainerSummary => ({
  Id: `${name}-id`, Names: [`/${name}`], Image: 'busybox', ImageID: 'sha256:0', Command: 'sh', Created: '', State: state, Status: '',
  StartedAt: '', FinishedAt: '', ExitCode: 0, Ports: [], ...(labels ? { Labels: labels } : {}),
});
const svc = (project: string, service: string, n: number, extra: Record<string, string> = {}) => ({
  'com.docker.compose.project': project, 'com.docker.compose.service': service, 'com.docker.compose.container-number': String(n), 'com.docker.compose.oneoff': 'False', ...extra,
});

describe('groupByProject', () => {
  it('groups by the project label, counts running, orders by service then number; others stay as given', () => {
    const g = groupByProject([
      c('plain', 'running'),
      c('demo-web-2', 'exited', svc('demo', 'web', 2)),
      c('demo-web-10', 'running', svc('demo', 'web', 10)),
      c('demo-client-1', 'running', svc('demo', 'client', 1)),
      c('demo-web-run-1a2b', 'running', svc('demo', 'web', 1, { 'com.docker.compose.oneoff': 'True' })),
      c('demo-web-1', 'running', svc('demo', 'web', 1)),
      c('abc-db-1', 'created', svc('abc', 'db', 1)),
      c('labelled', 'running', { other: 'x' }),
    ]);
    expect(g.others.map((x) => x.Names[0])).toEqual(['/plain', '/labelled']);
    expect(g.projects.map((p) => [p.project, p.running, p.total])).toEqual([['abc', 0, 1], ['demo', 4, 5]]);
    expect(g.projects[1]!.members.map((m) => m.label)).toEqual(['client-1', 'web-1', 'web-2', 'web-10', 'demo-web-run-1a2b']);
  });

  it('names a container whose compose labels are incomplete by its name', () => {
    const g = groupByProject([c('odd', 'running', { 'com.docker.compose.project': 'p' })]);
    expect(g.projects[0]!.members[0]).toMatchObject({ label: 'odd', service: '' });
  });
});
