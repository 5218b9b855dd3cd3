import type { ImageHistoryItem } from '../../engine/image-history.ts';
import type { Command } from '../command.ts';
import { ago, ellipsis, humanSize } from '../format.ts';
import { goStruct, writeFormatted } from '../formatter.ts';
import type { GoStruct } from '../gotemplate/index.ts';

/** Go's time.RFC3339 (seconds, UTC), as `docker history -H=false` prints CREATED. */
function rfc3339(iso: string | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '0001-01-01T00:00:00Z';
  return new Date(iso).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** docker/cli's historyContext (cli/command/image/formatter_history.go): one step of an image's history. */
export function historyContext(h: ImageHistoryItem, o: { trunc: boolean; human: boolean; now: Date }): GoStruct {
  const createdBy = h.createdBy.replaceAll('\t', ' ');
  return goStruct('*image.historyContext', {
    ID: () => (o.trunc && h.id !== '<missing>' ? h.id.replace(/^sha256:/, '').slice(0, 12) : h.id),
    CreatedAt: () => rfc3339(h.created),
    CreatedSince: () => (o.human ? ago(h.created, o.now) : rfc3339(h.created)),
    CreatedBy: () => (o.trunc ? ellipsis(createdBy, 45) : createdBy),
    Size: () => (o.human ? humanSize(h.size) : String(h.size)),
    Comment: () => h.comment,
  });
}

const HISTORY_HEADER = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

export const history: Command = {
  name: 'history',
  aliases: ['image history'],
  usage: 'history [OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: [
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'human', short: 'H', type: 'bool', help: 'Print sizes and dates in human readable format (default true)' },
    { name: 'no-trunc', type: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only show image IDs' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const items = await (await engine()).imageHistory(p.args[0]!);
    const human = p.flags['human'] !== false;
    const o = { trunc: p.flags['no-trunc'] !== true, human, now: new Date() };
    // NewHistoryFormat: the default table, or IDs with -q, or the user's format.
    const source = (p.flags['format'] as string | undefined) ?? 'table';
    const format = source !== 'table' ? source : p.flags['quiet'] === true ? '{{.ID}}'
      : `table {{.ID}}\t{{${human ? '.CreatedSince' : '.CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`;
    writeFormatted(io, format, items.map((h) => historyContext(h, o)), HISTORY_HEADER);
    return 0;
  },
};
