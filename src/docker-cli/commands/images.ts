import { parseReference } from '../../registry-client/index.ts';
import type { Command } from '../command.ts';
import { ago, humanSize, table } from '../format.ts';

/** `docker.io/library/busybox` -> `busybox` (the repository column's familiar form). */
function familiarName(name: string): string {
  try {
    return parseReference(`${name}:x`).familiar().replace(/:x$/, '');
  } catch {
    return name;
  }
}

export const images: Command = {
  name: 'images',
  aliases: ['image ls', 'image list'],
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only show image IDs' },
    { name: 'digests', type: 'bool', help: 'Show digests' },
    { name: 'no-trunc', type: 'bool', help: "Don't truncate output" },
    { name: 'all', short: 'a', type: 'bool', help: 'Show all images (default hides intermediate images)' },
  ],
  args: [0, 1],
  async run(p, { io, engine }) {
    const api = await engine();
    const now = new Date();
    const noTrunc = p.flags['no-trunc'] === true;
    const filter = p.args[0] ? parseReference(p.args[0]) : undefined;
    const filterHasTag = p.args[0] ? /:[^/]*$/.test(p.args[0]) : false;
    const records = (await api.listImages()).sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
    const rows: { repo: string; tag: string; digest: string; id: string; created: string; size: string }[] = [];
    for (const r of records) {
      const id = noTrunc ? r.id : r.id.slice(7, 19);
      const digestOf = (name: string) => r.repoDigests.find((d) => d.startsWith(`${name}@`))?.split('@')[1] ?? '<none>';
      const base = { id, created: ago(r.created, now), size: humanSize(r.size) };
      const tags = r.repoTags.length ? r.repoTags : r.repoDigests.map((d) => `${d.split('@')[0]}:<none>`);
      if (!tags.length) rows.push({ repo: '<none>', tag: '<none>', digest: '<none>', ...base });
      for (const t of tags) {
        const i = t.lastIndexOf(':');
        const name = t.slice(0, i);
        if (filter && (name !== filter.name || (filterHasTag && t.slice(i + 1) !== filter.tag))) continue;
        rows.push({ repo: familiarName(name), tag: t.slice(i + 1), digest: digestOf(name), ...base });
      }
    }
    if (p.flags['quiet'] === true) {
      io.out([...new Set(rows.map((r) => r.id))].map((x) => `${x}\n`).join(''));
      return 0;
    }
    const digests = p.flags['digests'] === true;
    const header = ['REPOSITORY', 'TAG', ...(digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
    io.out(table(header, rows.map((r) => [r.repo, r.tag, ...(digests ? [r.digest] : []), r.id, r.created, r.size])));
    return 0;
  },
};
