import type { Attachment } from '../../engine/containers/service.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { FlagSpec } from '../args.ts';
import type { TerminalIo } from '../io.ts';

/** `--detach-keys` of run, attach and exec (docker/cli's flag). */
export const DETACH_KEYS_FLAG: FlagSpec = { name: 'detach-keys', type: 'string', value: 'string', help: 'Override the key sequence for detaching a container' };

/** Docker's default detach sequence: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = Uint8Array.of(0x10, 0x11);

/** moby/term's names of the control keys, by their code (`ctrl-@` is 0, `ctrl-a` 1, ... `ctrl-_` 31). */
const CTRL = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/**
 * moby/term `ToBytes`: a comma-separated sequence, each key one character (one byte) or a
 * `ctrl-` name; undefined when a key is neither (the caller words the refusal).
 */
export function detachKeyBytes(keys: string): Uint8Array | undefined {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    const bytes = new TextEncoder().encode(key);
    if (bytes.length === 1) out.push(bytes[0]!);
    else if (CTRL.includes(key)) out.push(CTRL.indexOf(key));
    else return undefined;
  }
  return Uint8Array.from(out);
}

/**
 * The sequence a `--detach-keys` value names (the default without one). A value that does
 * not parse is refused before anything is made, with the daemon's sentence (moby's attach:
 * "Invalid detach keys", exec: "Invalid escape keys").
 */
export function detachKeys(value: unknown, word: 'detach' | 'escape' = 'detach'): Uint8Array {
  if (typeof value !== 'string' || value === '') return DEFAULT_DETACH_KEYS;
  const keys = detachKeyBytes(value);
  if (!keys) throw new TabdockError('INVALID_ARGUMENT', `Invalid ${word} keys (${value}) provided`, { detachKeys: value });
  return keys;
}

/**
 * moby/term's escape proxy over the terminal's input: a keystroke read on its own (a chunk
 * of one byte) that continues the sequence is held back; the whole sequence detaches; any
 * other input lets the held keys through first. Pasted text (chunks of more than one
 * byte) never detaches.
 */
export class EscapeProxy {
  private pos = 0;
  constructor(private readonly keys: Uint8Array) {}

  /** What to pass on for this chunk, or `'detach'` when it completed the sequence. */
  feed(chunk: Uint8Array): Uint8Array | 'detach' {
    const held = this.keys.subarray(0, this.pos);
    if (this.keys.length === 0) return chunk;
    if (chunk.length === 1 && chunk[0] === this.keys[this.pos]) {
      if (this.pos === this.keys.length - 1) return 'detach';
      this.pos++;
      return new Uint8Array(0);
    }
    this.pos = 0;
    if (held.length === 0) return chunk;
    const out = new Uint8Array(held.length + chunk.length);
    out.set(held);
    out.set(chunk, held.length);
    return out;
  }
}

/**
 * Wires the terminal to an attachment (docker's hijacked stream): input bytes to the
 * container's stdin, end of input closes it (unless `closeOnEnd` is false); with `-t`, raw
 * mode, the window size and the detach keys (`onDetach` is called once they are typed; the
 * input stops going to the container then, as docker's CLI stops reading).
 * Returns the function that undoes it all.
 */
export function wireStdin(a: Attachment, io: TerminalIo, tty: boolean, opts: { closeOnEnd?: boolean; detach?: { keys: Uint8Array; onDetach: () => void } } = {}): () => void {
  const stdin = io.stdin;
  if (!stdin) return () => {};
  if (tty) stdin.setRaw?.(true);
  const proxy = tty && opts.detach ? new EscapeProxy(opts.detach.keys) : undefined;
  let detached = false;
  const offData = stdin.onData((d) => {
    if (detached) return;
    const pass = proxy ? proxy.feed(d) : d;
    if (pass === 'detach') {
      detached = true;
      opts.detach!.onDetach();
    } else if (pass.length) void a.write(pass);
  });
  const offEnd = opts.closeOnEnd === false ? () => {} : stdin.onEnd(() => void (detached || a.closeStdin()));
  const offResize = tty && io.onResize ? io.onResize(() => {
    const s = io.size?.();
    if (s) void a.resize(s.cols, s.rows);
  }) : () => {};
  return () => {
    offData();
    offEnd();
    if (tty) stdin.setRaw?.(false);
    offResize();
  };
}
