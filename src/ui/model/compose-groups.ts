import type { ContainerSummary } from '../../engine/api.ts';

/**
 * The containers panel's view of Compose projects: containers grouped by the labels
 * `docker compose` gives them (`com.docker.compose.project`, `.service`,
 * `.container-number`, `.oneoff`), as `docker compose ps` and `ls` read them. Containers
 * without a project label are left as they are.
 */
const LABEL = 'com.docker.compose';

export interface ComposeMember {
  container: ContainerSummary;
  /** `web-1` (service and number, as compose's log prefixes say it); a `compose run` container by its name. */
  label: string;
  service: string;
}

export interface ComposeGroup {
  project: string;
  running: number;
  total: number;
  /** By service, then number; one-off (`compose run`) containers last. */
  members: ComposeMember[];
}

export interface GroupedContainers {
  projects: ComposeGroup[];
  /** Containers of no project, in the order given. */
  others: ContainerSummary[];
}

export function groupByProject(list: readonly ContainerSummary[]): GroupedContainers {
  const byProject = new Map<string, ComposeMember[]>();
  const others: ContainerSummary[] = [];
  for (const c of list) {
    const project = c.Labels?.[`${LABEL}.project`];
    if (!project) {
      others.push(c);
      continue;
    }
    const service = c.Labels?.[`${LABEL}.service`] ?? '';
    const number = c.Labels?.[`${LABEL}.container-number`];
    const oneoff = c.Labels?.[`${LABEL}.oneoff`] === 'True';
    const name = (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
    const label = !oneoff && service && number ? `${service}-${number}` : name;
    const members = byProject.get(project) ?? [];
    members.push({ container: c, label, service });
    byProject.set(project, members);
  }
  const rank = (m: ComposeMember) => (m.container.Labels?.[`${LABEL}.oneoff`] === 'True' ? 1 : 0);
  const num = (m: ComposeMember) => Number(m.container.Labels?.[`${LABEL}.container-number`] ?? 0);
  const projects = [...byProject].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([project, members]) => ({
    project,
    running: members.filter((m) => m.container.State === 'running').length,
    total: members.length,
    members: members.sort((a, b) => rank(a) - rank(b) || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0) || num(a) - num(b) || (a.label < b.label ? -1 : 1)),
  }));
  return { projects, others };
}
