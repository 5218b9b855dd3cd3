import { createTarDecoder, createTarPacker, type TarHeader } from 'modern-tar';
import type { CopyEntry } from '../../engine/index.ts';

/**
 * `docker cp CONTAINER:SRC -` and `docker cp - CONTAINER:DEST`: the copied tree as a tar
 * stream on stdout or stdin. Out, entries are named under the source's base name, as
 * docker's archive is; in, the archive is extracted into the destination directory.
 */
export function tarOut(rootName: string, out: (b: Uint8Array) => void) {
  const { readable, controller } = createTarPacker();
  const pumped = (async () => {
    const r = readable.getReader();
    for (let c = await r.read(); !c.done; c = await r.read()) out(c.value);
  })();
  let file: WritableStreamDefaultWriter<Uint8Array> | undefined;
  return {
    async write(e: CopyEntry): Promise<void> {
      const name = e.path ? `${rootName}/${e.path}` : rootName;
      const base: TarHeader = { name, size: 0, mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(e.mtime * 1000) };
      if (e.kind === 'd') return void (await controller.add({ ...base, name: `${name}/`, type: 'directory' }).close());
      if (e.kind === 'l') return void (await controller.add({ ...base, type: 'symlink', linkname: e.target ?? '' }).close());
      const size = e.size ?? e.data?.byteLength ?? 0;
      if ((e.offset ?? 0) === 0) file = controller.add({ ...base, type: 'file', size }).getWriter();
      if (e.data?.byteLength) await file!.write(e.data);
      if ((e.offset ?? 0) + (e.data?.byteLength ?? 0) >= size) {
        await file!.close();
        file = undefined;
      }
    },
    async finish(): Promise<void> {
      controller.finalize();
      await pumped;
    },
  };
}

/** The entries of a tar stream (files, directories, symlinks; missing parents made), under `root` (an existing directory). */
export async function* tarIn(input: AsyncIterable<Uint8Array | string>, root: Pick<CopyEntry, 'mode' | 'uid' | 'gid' | 'mtime'>): AsyncGenerator<CopyEntry> {
  const { readable, writable } = createTarDecoder();
  const feed = (async () => {
    const w = writable.getWriter();
    for await (const chunk of input) await w.write(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk));
    await w.close();
  })();
  yield { path: '', kind: 'd', ...root };
  const made = new Set<string>(['']);
  const reader = readable.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const { header, body } = r.value;
    const path = header.name.split('/').filter((p) => p !== '' && p !== '.' && p !== '..').join('/');
    const kind = header.type === 'directory' ? 'd' : header.type === 'symlink' ? 'l' : header.type === 'file' || header.type === undefined ? 'f' : undefined;
    if (!path || !kind) {
      await body.cancel();
      continue;
    }
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!made.has(dir)) {
        made.add(dir);
        yield { path: dir, kind: 'd', mode: 0o755, uid: 0, gid: 0, mtime: Date.now() / 1000 };
      }
    }
    const base = { path, kind, mode: (header.mode ?? (kind === 'd' ? 0o755 : 0o644)) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: (header.mtime?.getTime() ?? Date.now()) / 1000 } as const;
    if (kind === 'd') made.add(path);
    if (kind !== 'f') {
      await body.cancel();
      yield { ...base, ...(kind === 'l' ? { target: header.linkname ?? '' } : {}) };
      continue;
    }
    let offset = 0;
    const br = body.getReader();
    let any = false;
    for (let c = await br.read(); !c.done; c = await br.read()) {
      any = true;
      yield { ...base, size: header.size, data: c.value, offset };
      offset += c.value.byteLength;
    }
    if (!any) yield { ...base, size: 0, data: new Uint8Array(0), offset: 0 };
  }
  await feed;
}
