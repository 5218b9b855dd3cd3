import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TabdockError } from '../shared/errors.ts';

/**
 * One process at a time opens the stores of a `$TABDOCK_HOME`: the daemon, or a command run
 * with `TABDOCK_DAEMON=off`. Two would each take the other's unfinished downloads for
 * garbage (a layer's chunks have no record until it is complete) and sweep them. The lock
 * is a file made with O_EXCL holding the owner's pid and kind; one whose process is gone
 * is stale and taken over.
 */
export type StoreOwner = 'daemon' | 'command';

export interface StoreLock {
  release(): void;
}

const FILE = 'store.lock';

interface Holder {
  pid: number;
  kind: StoreOwner;
}

function readHolder(path: string): Holder | undefined {
  try {
    const [pid, kind] = readFileSync(path, 'utf8').split('\n');
    const n = Number(pid);
    return Number.isInteger(n) && n > 0 ? { pid: n, kind: kind === 'command' ? 'command' : 'daemon' } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the store of `home` now (a live process), if anyone. */
export function storeHolder(home: string): Holder | undefined {
  const h = readHolder(join(home, FILE));
  return h && h.pid !== process.pid && alive(h.pid) ? h : undefined;
}

export function inUseError(home: string, h: Holder, want: StoreOwner): TabdockError {
  const who = h.kind === 'daemon' ? `the tabdock daemon (pid ${h.pid})` : `a tabdock command run with TABDOCK_DAEMON=off (pid ${h.pid})`;
  const how = want === 'command' && h.kind === 'daemon' ? 'stop it first (tabdock daemon stop), or run the command without TABDOCK_DAEMON=off' : 'wait for it to finish';
  return new TabdockError('STORE_IN_USE', `${home} is in use by ${who}: only one process may open its image store at a time; ${how}`, { home, pid: h.pid, holder: h.kind });
}

/** Takes the store of `home` for this process, or says who has it. */
export function lockStore(home: string, kind: StoreOwner): StoreLock {
  const path = join(home, FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const h = readHolder(path);
      if (h && h.pid !== process.pid && alive(h.pid)) throw inUseError(home, h, kind);
      // Stale (its process is gone) or half-written: moved aside, then raced for again. What
      // was moved is checked once more: a live owner's lock taken over meanwhile by another
      // process is put back (link fails if yet another took the place) and reported.
      const aside = `${path}.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = readHolder(aside);
      if (moved && moved.pid !== process.pid && alive(moved.pid)) {
        try {
          linkSync(aside, path);
        } catch {
          // another process holds the place now; it is the owner
        }
        rmSync(aside, { force: true });
        throw inUseError(home, moved, kind);
      }
      rmSync(aside, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n${kind}\n`);
    closeSync(fd);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
    };
    process.on('exit', release);
    return { release };
  }
  throw new TabdockError('STORE_IN_USE', `${home}: could not take the store lock (${path}); another tabdock process keeps taking it`, { home });
}
