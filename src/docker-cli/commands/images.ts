import type { ImageSummary } from '../../engine/api.ts';
import { parseReference } from '../../registry-client/reference.ts';
import type { Command } from '../command.ts';
import { filterImages, isDangling, parseFilters, referenceMatches } from '../filters.ts';
import { ago, goTimeString, humanSize } from '../format.ts';
import { goStruct, writeFormatted } from '../formatter.ts';
import type { GoStruct } from '../gotemplate/index.ts';

/** `docker.io/library/busybox` -> `busybox` (the repository column's familiar form). */
export function familiarName(name: string): string {
  try {
    return parseReference(`${name}:x`).familiar().replace(/:x$/, '');
  } catch {
    return name;
  }
}

interface ImageRow {
  image: ImageSummary;
  repo: string;
  tag: string;
  digest: string;
}

/**
 * docker/cli's imageFormat: a dangling image is one `<none>` row; otherwise a row per
 * repository and tag (with each digest of that repository when digests are shown), then a
 * `<none>`-tagged row for a repository known only by digest.
 */
function imageRows(images: ImageSummary[], showDigests: boolean, needDigest: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    if (isDangling(image) && image.repoDigests.length === 0) {
      rows.push({ image, repo: '<none>', tag: '<none>', digest: '<none>' });
      continue;
    }
    const tags = new Map<string, string[]>();
    const digests = new Map<string, string[]>();
    for (const t of image.repoTags) {
      const i = t.lastIndexOf(':');
      const repo = familiarName(t.slice(0, i));
      tags.set(repo, [...(tags.get(repo) ?? []), t.slice(i + 1)]);
    }
    for (const d of image.repoDigests) {
      const [name, digest] = d.split('@') as [string, string];
      const repo = familiarName(name);
      digests.set(repo, [...(digests.get(repo) ?? []), digest]);
    }
    for (const [repo, ts] of tags) {
      const ds = needDigest ? (digests.get(repo) ?? []) : [];
      digests.delete(repo);
      for (const tag of ts) {
        if (!ds.length) rows.push({ image, repo, tag, digest: '<none>' });
        for (const digest of ds) rows.push({ image, repo, tag, digest });
      }
    }
    for (const [repo, ds] of digests) {
      if (showDigests) for (const digest of ds) rows.push({ image, repo, tag: '<none>', digest });
      else rows.push({ image, repo, tag: '<none>', digest: '' });
    }
  }
  return rows;
}

/** docker/cli's imageContext (cli/command/formatter/image.go). */
function imageContext(r: ImageRow, trunc: boolean, now: Date): GoStruct {
  const created = r.image.created && !Number.isNaN(Date.parse(r.image.created)) ? r.image.created : undefined;
  return goStruct('*formatter.imageContext', {
    ID: () => (trunc ? r.image.id.replace(/^sha256:/, '').slice(0, 12) : r.image.id),
    Repository: () => r.repo,
    Tag: () => r.tag,
    Digest: () => r.digest,
    CreatedSince: () => (created ? ago(created, now) : ''),
    CreatedAt: () => goTimeString(created),
    Size: () => humanSize(r.image.size),
    // The list does not count containers or shared bytes (Docker: -1, printed N/A).
    Containers: () => 'N/A',
    VirtualSize: () => humanSize(r.image.size, 4),
    SharedSize: () => 'N/A',
    UniqueSize: () => 'N/A',
  });
}

const IMAGE_HEADER = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE',
  Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

const CREATED = '{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}';

/** formatter.NewImageFormat. */
function imageFormat(source: string, quiet: boolean, digests: boolean): string {
  if (source === 'table') {
    if (quiet) return '{{.ID}}';
    return digests ? `table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t${CREATED}\t{{.Size}}` : `table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t${CREATED}\t{{.Size}}`;
  }
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return `repository: {{ .Repository }}\ntag: {{.Tag}}\n${digests ? 'digest: {{.Digest}}\n' : ''}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
  }
  return source.startsWith('table') && digests && !source.includes('{{.Digest}}') ? `${source}\t{{.Digest}}` : source;
}

export const images: Command = {
  name: 'images',
  aliases: ['image ls', 'image list'],
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', help: 'Show digests' },
    { name: 'filter', short: 'f', type: 'list', value: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', value: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'no-trunc', type: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only show image IDs' },
  ],
  args: [0, 1],
  async run(p, { io, engine, prog, config }) {
    const filters = parseFilters(p.flags['filter'] as string[] | undefined, `${prog} images`);
    // The REPOSITORY[:TAG] argument is one more `reference` filter (docker/cli runImages).
    if (p.args[0]) filters.set('reference', [...(filters.get('reference') ?? []), p.args[0]]);
    const all = (await (await engine()).listImages({ all: p.flags['all'] === true })).sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
    const refs = filters.get('reference');
    filters.delete('reference');
    const list = filterImages(all, filters);
    const quiet = p.flags['quiet'] === true;
    const digests = p.flags['digests'] === true;
    const format = imageFormat((p.flags['format'] as string | undefined) || (!quiet && config?.imagesFormat) || 'table', quiet, digests);
    let rows = imageRows(list, digests, digests || format.includes('{{.Digest}}'));
    // moby's reference filter keeps the tags that match (and drops an image with none).
    if (refs) rows = rows.filter((r) => r.tag !== '<none>' && refs.some((pat) => referenceMatches(pat, r.repo, r.tag)));
    const now = new Date();
    const trunc = p.flags['no-trunc'] !== true;
    writeFormatted(io, format, rows.map((r) => imageContext(r, trunc, now)), IMAGE_HEADER);
    return 0;
  },
};
