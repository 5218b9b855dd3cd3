import { describe, expect, it } from 'vitest';
import { entryDigest, filterContext, pathChecksum, sourceChecksum, stepKey } from './cache-key.ts';
import type { ContextEntry, ContextSource } from './context.ts';
import { parseInstructions } from './instructions.ts';
import { parseDockerfile } from './parser.ts';

/** An in-memory context from BuildKit's test notation: "path file data" / "path dir" / "path symlink target". */
function memContext(spec: string[], over: Record<string, Partial<ContextEntry>> = {}): ContextSource & { data: Map<string, Uint8Array> } {
  const entries = new Map<string, ContextEntry>();
  const data = new Map<string, Uint8Array>();
  for (const line of spec) {
    const [path, kind, arg = ''] = line.split(' ') as [string, string, string?];
    const base: ContextEntry =
      kind === 'dir' ? { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 }
      : kind === 'symlink' ? { path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkname: arg }
      : { path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: arg.length };
    entries.set(path, { ...base, ...over[path] });
    if (kind === 'file') data.set(path, new TextEncoder().encode(arg));
  }
  const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  return {
    data,
    list: async (dir) => [...entries.values()].filter((e) => parentOf(e.path) === dir),
    read: async (p) => data.get(p)!,
    stat: async (p) => entries.get(p),
  };
}

// Digests BuildKit's cache/contenthash/checksum_test.go expects for the same trees
// (dgstFileData0, c2b5e2... for data1, dgstDirD0, and TestChecksumWildcardOrFilter's).
const DGST_FILE_DATA0 = 'sha256:cd8e75bca50f2d695f220d0cb0997d8ead387e4f926e8669a92d7f104cc9885b';
const DGST_FILE_DATA1 = 'sha256:c2b5e234f5f38fc5864da7def04782f82501a40d46192e4207d5b3f0c3c4732b';
const DGST_DIR_D0 = 'sha256:d47454417d2c554067fbefe5f5719edc49f3cfe969c36b62e34a187a4da0cc9a';

describe("COPY source checksums (BuildKit's contenthash digests)", () => {
  const ctx = memContext(['foo file data0', 'bar file data1', 'd0 dir', 'd0/abc file data0', 'd0/def symlink abc', 'd0/ghi symlink nosuchfile', 'fox file data2']);

  it('a file: header (mode, uid, gid, size, type...) then content', async () => {
    expect(await pathChecksum(ctx, 'foo')).toBe(DGST_FILE_DATA0);
    expect(await pathChecksum(ctx, 'bar')).toBe(DGST_FILE_DATA1);
    expect(await pathChecksum(ctx, 'd0/abc')).toBe(DGST_FILE_DATA0);
  });

  it('a symlink named as the source is followed', async () => {
    expect(await pathChecksum(ctx, 'd0/def')).toBe(DGST_FILE_DATA0);
  });

  it('a directory: its header, then each child by name (links not followed)', async () => {
    expect(await pathChecksum(ctx, 'd0')).toBe(DGST_DIR_D0);
    expect(await pathChecksum(ctx, './d0/')).toBe(DGST_DIR_D0);
  });

  it("wildcards as TestChecksumWildcardOrFilter expects (f*o, f*, x/d?, x/d?/def, y*)", async () => {
    const w = memContext([
      'bar file data1', 'foo file data0', 'fox file data2', 'x dir', 'x/d0 dir', 'x/d0/abc file data0',
      'x/d0/def symlink abc', 'x/d0/ghi symlink nosuchfile', 'y1 symlink foo', 'y2 symlink fox',
    ]);
    const { createSHA256 } = await import('hash-wasm');
    const h = await createSHA256();
    h.init();
    h.update('\0foo' + DGST_FILE_DATA0);
    expect(await sourceChecksum(w, 'f*o')).toBe('sha256:' + h.digest('hex'));
    expect(await sourceChecksum(w, 'f*')).toBe('sha256:0b6731924f0a32a812bf8a729202e55e54ded331f9e4ff2397f681e43694e086');
    expect(await sourceChecksum(w, 'x/d?')).toBe('sha256:6b612ad5c13159112ae26357ef7bd34df29916941ba40ec2ce38dfb70c6c60c3');
    expect(await sourceChecksum(w, 'x/d?/def')).toBe(DGST_FILE_DATA0);
    expect(await sourceChecksum(w, 'y*')).toBe('sha256:982153600b9653a1decb0f961e09e2bc1be335cfcaac9b39dbd1120b65fdf92c');
  });

  it('counts mode, owner and xattrs, not mtime; content changes change it', async () => {
    const base = { path: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 5 } as const;
    const data = new TextEncoder().encode('data0');
    const d = await entryDigest(base, data);
    expect(d).toBe(DGST_FILE_DATA0);
    expect(await entryDigest({ ...base, mode: 0o755 }, data)).not.toBe(d);
    expect(await entryDigest({ ...base, uid: 1000 }, data)).not.toBe(d);
    expect(await entryDigest({ ...base, xattrs: { 'user.a': new Uint8Array([1]) } }, data)).not.toBe(d);
    // security.* other than security.capability is not counted (tarsum.go).
    expect(await entryDigest({ ...base, xattrs: { 'security.selinux': new Uint8Array([1]) } }, data)).toBe(d);
    expect(await entryDigest(base, new TextEncoder().encode('data1'))).not.toBe(d);
  });

  it('.dockerignore applies: an ignored file changes nothing, a kept one changes the root checksum', async () => {
    const make = (secret: string, app: string) => memContext(['app.go file ' + app, 'secret.txt file ' + secret]);
    const sum = async (c: ContextSource) => pathChecksum(await filterContext(c, ['secret.txt']), '.');
    expect(await sum(make('one', 'x'))).toBe(await sum(make('two', 'x')));
    expect(await sum(make('one', 'x'))).not.toBe(await sum(make('one', 'y')));
  });
});

describe('step keys', () => {
  const df = parseInstructions(parseDockerfile('FROM alpine\nCOPY a /a\n\n\nRUN echo hi\n'));
  const [copy, run] = df.stages[0]!.instructions as [never, never];

  it('change with the parent, the instruction, the sources and the environment only', async () => {
    const k = await stepKey({ parent: 'sha256:p', instruction: copy, sources: ['sha256:s'] });
    expect(await stepKey({ parent: 'sha256:p', instruction: copy, sources: ['sha256:s'] })).toBe(k);
    expect(await stepKey({ parent: 'sha256:q', instruction: copy, sources: ['sha256:s'] })).not.toBe(k);
    expect(await stepKey({ parent: 'sha256:p', instruction: copy, sources: ['sha256:t'] })).not.toBe(k);
    expect(await stepKey({ parent: 'sha256:p', instruction: run })).not.toBe(await stepKey({ parent: 'sha256:p', instruction: run, env: ['A=1'] }));
  });

  it('do not change when the instruction only moves in the file', async () => {
    const moved = parseInstructions(parseDockerfile('FROM alpine\n# comment\nCOPY a /a\nRUN echo hi\n')).stages[0]!.instructions;
    expect(await stepKey({ parent: 'p', instruction: moved[0]!, sources: ['s'] })).toBe(await stepKey({ parent: 'p', instruction: copy, sources: ['s'] }));
    expect(await stepKey({ parent: 'p', instruction: moved[1]! })).toBe(await stepKey({ parent: 'p', instruction: run }));
  });
});
