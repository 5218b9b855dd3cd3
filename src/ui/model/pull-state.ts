import type { SerializedError } from '../../shared/errors.ts';
import type { BrowserEvent } from '../../engine/browser/events.ts';

export interface LayerRow {
  id: string;
  status: string;
  done: number;
  total: number;
}

export interface PullRow {
  ref: string;
  state: 'resolving' | 'pulling' | 'done' | 'failed';
  platform?: string;
  layers: LayerRow[];
  error?: SerializedError;
}

/**
 * Statuses after which a layer's bytes are all here (its bar is full). `Extracting` draws
 * its own bar, as Docker's does: the compressed bytes the unpack has taken in.
 */
const COMPLETE = new Set(['Already exists', 'Verifying Checksum', 'Download complete', 'Pull complete']);

/**
 * The pull panel's state: one row per pull (newest first, at most `keep`), a bar per
 * layer, from the engine's 'pull' and 'pull-done' events. Pure: returns a new array
 * when something changed, the same one otherwise.
 */
export function applyPullEvent(pulls: PullRow[], e: BrowserEvent, keep = 4): PullRow[] {
  if (e.type !== 'pull' && e.type !== 'pull-done') return pulls;
  const i = pulls.findIndex((p) => p.ref === e.ref && (p.state === 'resolving' || p.state === 'pulling'));
  if (e.type === 'pull-done') {
    if (i === -1) return pulls;
    const p = pulls[i]!;
    const done: PullRow = e.error
      ? { ...p, state: 'failed', error: e.error }
      : { ...p, state: 'done', layers: p.layers.map((l) => ({ ...l, done: l.total, status: l.status === 'Already exists' ? l.status : 'Pull complete' })) };
    return pulls.map((x, j) => (j === i ? done : x));
  }
  const ev = e.event;
  let row: PullRow = i === -1 ? { ref: e.ref, state: 'resolving', layers: [] } : pulls[i]!;
  if (ev.type === 'resolving') {
    row = { ...row, state: 'resolving' };
  } else if (ev.type === 'resolved') {
    const platform = [ev.platform.os, ev.platform.architecture, ev.platform.variant].filter(Boolean).join('/');
    row = { ...row, state: 'pulling', platform, layers: ev.layers.map((l) => ({ id: l.id, status: 'Pulling fs layer', done: 0, total: l.size })) };
  } else {
    const layers = row.layers.some((l) => l.id === ev.id) ? row.layers : [...row.layers, { id: ev.id, status: '', done: 0, total: 0 }];
    row = {
      ...row,
      state: 'pulling',
      layers: layers.map((l) => {
        if (l.id !== ev.id) return l;
        const total = ev.total ?? l.total;
        const done = COMPLETE.has(ev.status) ? total : ev.done ?? l.done;
        return { id: l.id, status: ev.status, done, total };
      }),
    };
  }
  const rest = i === -1 ? pulls : pulls.filter((_, j) => j !== i);
  return i === -1 ? [row, ...rest].slice(0, keep) : pulls.map((x, j) => (j === i ? row : x));
}
