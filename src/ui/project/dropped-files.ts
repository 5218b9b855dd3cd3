/** A file dropped or picked for the project, with the path it takes there. */
export interface PickedFile {
  path: string;
  file: File;
}

/**
 * The files of a drop. Folders are walked (`webkitGetAsEntry`): one folder dropped alone
 * is a project, its contents go to the project's root; otherwise each file and folder
 * keeps its name. The entries are taken now, in the drop event (the DataTransfer is
 * emptied when it ends); their files are read after.
 */
export function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  const items = [...dt.items].filter((i) => i.kind === 'file');
  const entries = items.map((i) => i.webkitGetAsEntry());
  const files = [...dt.files];
  return (async () => {
    if (entries.length === 0 || entries.some((e) => !e)) return files.map((file) => ({ path: file.name, file }));
    const alone = entries.length === 1 && entries[0]!.isDirectory;
    const out: PickedFile[] = [];
    for (const e of entries as FileSystemEntry[]) await walk(e, alone ? '' : e.name, out);
    return out;
  })();
}

/** The files of `<input type=file webkitdirectory>`: the picked folder's contents at the project's root. */
export function pickedFolder(files: Iterable<File>): PickedFile[] {
  return [...files].map((file) => ({ path: file.webkitRelativePath.split('/').slice(1).join('/') || file.name, file }));
}

async function walk(e: FileSystemEntry, path: string, out: PickedFile[]): Promise<void> {
  if (e.isFile) {
    const file = await new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: path || e.name, file });
    return;
  }
  if (!e.isDirectory) return;
  const reader = (e as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const c of batch) await walk(c, path ? `${path}/${c.name}` : c.name, out);
  }
}

/** A file's text when it is UTF-8 without NUL (the panel edits those), else undefined. */
export function textOf(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
