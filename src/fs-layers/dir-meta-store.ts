import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetaStore } from './store.ts';
import { isNoSpace, storeFull } from './store-full.ts';

/** JSON records as files, `key` mapped to a path; written to a temp file and renamed. */
export class DirMetaStore implements MetaStore {
  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<DirMetaStore> {
    await mkdir(root, { recursive: true });
    return new DirMetaStore(root);
  }

  private file(key: string): string {
    return join(this.root, `${encodeURIComponent(key)}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8')) as T;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const f = this.file(key);
    const tmp = `${f}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, f);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) throw storeFull({ what: `record ${key}`, needed: JSON.stringify(value).length, used: 0 });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async keys(prefix: string): Promise<string[]> {
    const names = await readdir(this.root);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => decodeURIComponent(n.slice(0, -'.json'.length)))
      .filter((k) => k.startsWith(prefix))
      .sort();
  }
}
