import type { ImageHistoryItem } from '../../engine/image-history.ts';
import { ago, humanSize, table } from '../format.ts';
import type { Command } from '../command.ts';

/** docker's `formatter.Ellipsis`: cut to `max` characters, the last one an ellipsis. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/** Go's time.RFC3339 (seconds, UTC), as `docker history -H=false` prints CREATED. */
function rfc3339(iso: string | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '0001-01-01T00:00:00Z';
  return new Date(iso).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The rows `docker history` prints (cli/command/formatter/history.go). */
export function historyRows(items: ImageHistoryItem[], o: { trunc: boolean; human: boolean; now: Date }): string[][] {
  return items.map((h) => [
    o.trunc && h.id !== '<missing>' ? h.id.replace(/^sha256:/, '').slice(0, 12) : h.id,
    o.human ? ago(h.created, o.now) : rfc3339(h.created),
    o.trunc ? ellipsis(h.createdBy.replaceAll('\t', ' '), 45) : h.createdBy.replaceAll('\t', ' '),
    o.human ? humanSize(h.size) : String(h.size),
    h.comment,
  ]);
}

export const history: Command = {
  name: 'history',
  aliases: ['image history'],
  usage: 'history [OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: [
    { name: 'human', short: 'H', type: 'bool', help: 'Print sizes and dates in human readable format (default true)' },
    { name: 'no-trunc', type: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only show image IDs' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const items = await (await engine()).imageHistory(p.args[0]!);
    const rows = historyRows(items, { trunc: p.flags['no-trunc'] !== true, human: p.flags['human'] !== false, now: new Date() });
    if (p.flags['quiet'] === true) io.out(rows.map((r) => `${r[0]}\n`).join(''));
    else io.out(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
    return 0;
  },
};
