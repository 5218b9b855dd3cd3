import { expect, it } from 'vitest';
import type { MetaStore } from '../../fs-layers/index.ts';
import { ContainerLogs } from './logs.ts';

/** A store in memory whose first put is held until `release()`: a slow write, as IndexedDB's can be. */
function slowFirstPut(): { meta: MetaStore; release: () => void } {
  const data = new Map<string, unknown>();
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let puts = 0;
  const meta: MetaStore = {
    get: async <T>(k: string) => data.get(k) as T | undefined,
    put: async (k, v) => {
      if (puts++ === 0) await held;
      data.set(k, v);
    },
    delete: async (k) => void data.delete(k),
    keys: async (prefix) => [...data.keys()].filter((k) => k.startsWith(prefix)).sort(),
  };
  return { meta, release };
}

const text = (s: string) => new TextEncoder().encode(s);
const lines = (es: Array<{ data: Uint8Array }>) => es.map((e) => new TextDecoder().decode(e.data));

it('a read sees every line appended before it, even while an earlier flush is still writing', async () => {
  const { meta, release } = slowFirstPut();
  const logs = new ContainerLogs(meta);
  logs.append('c', 'stdout', text('before stop\n'));
  const first = logs.flush('c'); // the timer's flush, its write held
  logs.append('c', 'stdout', text('from the SIGTERM handler\n'));
  let done = false;
  const read = logs.read('c').then((r) => ((done = true), r));
  // Every turn the in-memory store could take: a read that does not wait would be done by now.
  for (let i = 0; i < 100 && !done; i++) await new Promise((r) => setImmediate(r));
  expect(done).toBe(false);
  release();
  expect(lines(await read)).toEqual(['before stop\n', 'from the SIGTERM handler\n']);
  await first;
});
