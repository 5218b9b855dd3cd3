import type { MetaStore } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ContainerRecord } from './record.ts';

/** Container records over a MetaStore, found as Docker finds them: ID, ID prefix or name. */
export class ContainerStore {
  constructor(private readonly meta: MetaStore) {}

  async list(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const k of await this.meta.keys('container/')) {
      const r = await this.meta.get<ContainerRecord>(k);
      if (r) out.push(r);
    }
    return out.sort((a, b) => b.Created.localeCompare(a.Created));
  }

  async get(id: string): Promise<ContainerRecord | undefined> {
    return this.meta.get<ContainerRecord>(`container/${id}`);
  }

  async save(c: ContainerRecord): Promise<void> {
    await this.meta.put(`container/${c.Id}`, c);
  }

  async delete(id: string): Promise<void> {
    await this.meta.delete(`container/${id}`);
  }

  /** Docker's lookup order: full ID, exact name, then a unique ID prefix. */
  async find(ref: string): Promise<ContainerRecord> {
    const all = await this.list();
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const hit = all.find((c) => c.Id === ref) ?? all.find((c) => c.Name === name);
    if (hit) return hit;
    const prefix = all.filter((c) => ref.length > 0 && c.Id.startsWith(ref));
    if (prefix.length === 1) return prefix[0]!;
    if (prefix.length > 1) throw new TabdockError('AMBIGUOUS_ID', `multiple IDs found with provided prefix: ${ref}`, { ref });
    throw new TabdockError('NO_SUCH_CONTAINER', `No such container: ${ref}`, { ref });
  }
}
