import type { MetaStore } from '../fs-layers/index.ts';
import type { ImageRecord, Repositories } from './image-record.ts';

/**
 * Image records and the tag/digest references pointing at them, over a MetaStore.
 * Writes go record first, references second, so a crash leaves at worst an untagged
 * record (shown as <none>), never a tag pointing at nothing.
 */
export class ImageStore {
  constructor(private readonly meta: MetaStore) {}

  async get(id: string): Promise<ImageRecord | undefined> {
    return this.meta.get<ImageRecord>(`image/${id}`);
  }

  async list(): Promise<ImageRecord[]> {
    const keys = await this.meta.keys('image/');
    const out: ImageRecord[] = [];
    for (const k of keys) {
      const r = await this.meta.get<ImageRecord>(k);
      if (r) out.push(r);
    }
    return out;
  }

  async repositories(): Promise<Repositories> {
    return (await this.meta.get<Repositories>('repositories')) ?? { tags: {}, digests: {} };
  }

  async resolveTag(fullTag: string): Promise<string | undefined> {
    return (await this.repositories()).tags[fullTag];
  }

  /** Saves a record and points `tag` and `digestRef` at it, moving a tag off its old image. */
  async save(record: ImageRecord, refs: { tag?: string | undefined; digestRef?: string | undefined }): Promise<void> {
    await this.meta.put(`image/${record.id}`, record);
    const repos = await this.repositories();
    const touched = new Set<string>([record.id]);
    if (refs.tag) {
      const old = repos.tags[refs.tag];
      if (old) touched.add(old);
      repos.tags[refs.tag] = record.id;
    }
    if (refs.digestRef) repos.digests[refs.digestRef] = record.id;
    await this.meta.put('repositories', repos);
    for (const id of touched) await this.syncRefs(id, repos);
  }

  /** Removes a reference; returns the image ID it pointed at. */
  async untag(ref: string): Promise<string | undefined> {
    const repos = await this.repositories();
    const id = repos.tags[ref] ?? repos.digests[ref];
    delete repos.tags[ref];
    delete repos.digests[ref];
    await this.meta.put('repositories', repos);
    if (id) await this.syncRefs(id, repos);
    return id;
  }

  async remove(id: string): Promise<void> {
    const repos = await this.repositories();
    for (const [k, v] of Object.entries(repos.tags)) if (v === id) delete repos.tags[k];
    for (const [k, v] of Object.entries(repos.digests)) if (v === id) delete repos.digests[k];
    await this.meta.put('repositories', repos);
    await this.meta.delete(`image/${id}`);
  }

  /** Keeps a record's RepoTags/RepoDigests equal to what the references say. */
  private async syncRefs(id: string, repos: Repositories): Promise<void> {
    const r = await this.get(id);
    if (!r) return;
    r.repoTags = Object.keys(repos.tags).filter((k) => repos.tags[k] === id).sort();
    r.repoDigests = Object.keys(repos.digests).filter((k) => repos.digests[k] === id).sort();
    await this.meta.put(`image/${id}`, r);
  }
}
