import type { FileSink } from '../docker-cli/index.ts';

/**
 * Files for the docker commands in the page, which has no file system: `save -o NAME` and
 * `export -o NAME` download NAME when the archive is complete (nothing is downloaded when
 * the command fails); `load -i NAME` and `import NAME` read a file the user dropped on the
 * page under that name.
 */
export class PageFiles {
  private readonly dropped = new Map<string, Blob>();

  /** A dropped file, kept under its name for `load -i` / `import`. */
  add(name: string, file: Blob): void {
    this.dropped.set(name, file);
  }

  writeFile = (path: string): FileSink => {
    const parts: Uint8Array[] = [];
    let open = true;
    return {
      write: async (b) => {
        if (open) parts.push(b.slice());
      },
      close: async () => {
        open = false;
        const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/x-tar' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = path.split('/').pop() || 'image.tar';
        a.style.display = 'none';
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
      abort: async () => {
        open = false;
        parts.length = 0;
      },
    };
  };

  readBytes = (path: string): AsyncIterable<Uint8Array> => {
    const file = this.dropped.get(path) ?? this.dropped.get(path.split('/').pop() ?? path);
    return (async function* () {
      if (!file) throw Object.assign(new Error(`no such file: drop ${path} on the page first`), { code: 'ENOENT' });
      const r = file.stream().getReader();
      for (let c = await r.read(); !c.done; c = await r.read()) yield c.value;
    })();
  };
}
