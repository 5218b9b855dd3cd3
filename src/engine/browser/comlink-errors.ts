/**
 * TabdockErrors cross the worker boundary whole (code, sentence, data), not as comlink's
 * plain Error copy. Imported for its effect by both sides (worker.ts, client.ts).
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { TabdockError, type SerializedError } from '../../shared/errors.ts';

type Thrown = { value: unknown };
type Wire = { tabdock: SerializedError } | unknown;

const original = transferHandlers.get('throw') as TransferHandler<Thrown, unknown>;

if (!(original as { tabdock?: boolean }).tabdock) {
  const handler: TransferHandler<Thrown, Wire> & { tabdock: true } = {
    tabdock: true,
    canHandle: (v): v is Thrown => original.canHandle(v),
    serialize(t) {
      if (TabdockError.is(t.value)) return [{ tabdock: t.value.toJSON() }, []];
      return original.serialize(t);
    },
    deserialize(w) {
      if (typeof w === 'object' && w !== null && 'tabdock' in w) throw TabdockError.fromJSON((w as { tabdock: SerializedError }).tabdock);
      return original.deserialize(w);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
