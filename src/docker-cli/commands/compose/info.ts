import type { ContainerSummary } from '../../../engine/api.ts';
import { TabdockError } from '../../../shared/errors.ts';
import { tabwrite } from '../../format.ts';
import { LABEL, cliError, load, nameOf, projectContainers, type Sub } from '../compose.ts';
import { serviceContainer } from './exec-run.ts';

/** `compose top`, `port` and `ls` (docker/compose `cmd/compose/top.go`, `port.go`, `list.go`). */

const rows = (r: string[][]) => r.map((x) => `${x.join('\t')}\n`).join('');

export const top: Sub = {
  usage: 'compose top [SERVICES...]',
  description: 'Display the running processes',
  flags: [],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { project } = await load(g, ctx.io);
    for (const s of p.args) if (!project.services[s]) throw cliError(`no such service: ${s}`);
    const api = await ctx.engine();
    const list = (await projectContainers(api, project.name, false, true))
      .filter((c) => !p.args.length || p.args.includes(c.Labels![`${LABEL}.service`]!))
      .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
    // compose's collectTop: SERVICE and # (the replica), then each title as first seen, CMD last.
    const header = ['SERVICE', '#'];
    const entries: Array<Record<string, string>> = [];
    for (const c of list) {
      const t = await api.topContainer(c.Id, []);
      for (const proc of t.Processes) {
        const e: Record<string, string> = { SERVICE: c.Labels![`${LABEL}.service`]!, '#': c.Labels![`${LABEL}.container-number`] ?? '' };
        t.Titles.forEach((title, i) => {
          if (!header.includes(title)) header.push(title);
          e[title] = proc[i] ?? '';
        });
        entries.push(e);
      }
    }
    if (!entries.length) return 0;
    const cmd = header.indexOf('CMD');
    if (cmd !== -1) header.push(...header.splice(cmd, 1));
    ctx.io.out(tabwrite(rows([header, ...entries.map((e) => header.map((h) => e[h] ?? '-'))]), 4, 2));
    return 0;
  },
};

export const port: Sub = {
  usage: 'compose port [OPTIONS] SERVICE PRIVATE_PORT',
  description: 'Print the public port for a port binding',
  flags: [
    { name: 'protocol', type: 'string', value: 'string', help: 'tcp or udp (default "tcp")' },
    { name: 'index', type: 'string', value: 'int', help: 'Index of the container if service has multiple replicas' },
  ],
  args: [2, 2],
  async run(p, g, ctx) {
    const [service, text] = p.args as [string, string];
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n <= 65535)) throw cliError(`strconv.ParseUint: parsing "${text}": ${/^\d+$/.test(text) ? 'value out of range' : 'invalid syntax'}`);
    const protocol = String(p.flags['protocol'] ?? 'tcp').toLowerCase();
    const indexText = p.flags['index'] as string | undefined;
    const index = indexText === undefined ? 0 : Number(indexText);
    if (!Number.isInteger(index) || index < 0) throw new TabdockError('FLAG_ERROR', `invalid argument "${indexText}" for "--index" flag: strconv.ParseInt: parsing "${indexText}": invalid syntax`, {});
    const { project } = await load(g, ctx.io);
    if (!project.services[service]) throw cliError(`no such service: ${service}`);
    const c = await serviceContainer(await ctx.engine(), project.name, service, index, false);
    const hit = c.Ports.find((x) => x.PrivatePort === n && x.Type === protocol && x.PublicPort !== undefined);
    if (!hit) throw cliError(`no port ${n}/${protocol} for container ${nameOf(c)}: ${c.Ports.map((x) => `${x.PrivatePort}/${x.Type}`).join(', ')}`);
    ctx.io.out(`${hit.IP ?? '0.0.0.0'}:${hit.PublicPort}\n`);
    return 0;
  },
};

/** compose's `combinedStatus`: `exited(1), running(2)`, states sorted. */
function combinedStatus(list: ContainerSummary[]): string {
  const counts = new Map<string, number>();
  for (const c of list) counts.set(c.State, (counts.get(c.State) ?? 0) + 1);
  return [...counts.keys()].sort().map((s) => `${s}(${counts.get(s)})`).join(', ');
}

/** `compose ls`: projects as their containers' labels tell them; no compose file is read (as compose reads none). */
export const ls: Sub = {
  usage: 'compose ls [OPTIONS]',
  description: 'List running compose projects',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all stopped Compose projects' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only display project names' },
  ],
  args: [0, 0],
  async run(p, _g, ctx) {
    const api = await ctx.engine();
    const byProject = new Map<string, ContainerSummary[]>();
    for (const c of await api.listContainers({ all: p.flags['all'] === true })) {
      const name = c.Labels?.[`${LABEL}.project`];
      if (name === undefined || c.Labels?.[`${LABEL}.config-hash`] === undefined) continue;
      byProject.set(name, [...(byProject.get(name) ?? []), c]);
    }
    const names = [...byProject.keys()].sort();
    if (p.flags['quiet'] === true) {
      ctx.io.out(names.map((n) => `${n}\n`).join(''));
      return 0;
    }
    const table = names.map((n) => {
      const list = byProject.get(n)!;
      const files = [...new Set(list.flatMap((c) => (c.Labels![`${LABEL}.project.config_files`] ?? '').split(',')))].join(',');
      return [n, combinedStatus(list), files];
    });
    ctx.io.out(tabwrite(rows([['NAME', 'STATUS', 'CONFIG FILES'], ...table]), 20, 3));
    return 0;
  },
};
