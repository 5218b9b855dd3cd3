import type { Attachment } from '../../engine/containers/service.ts';
import type { TerminalIo } from '../io.ts';

/**
 * Wires the terminal to an attachment (docker's hijacked stream): input bytes to the
 * container's stdin, end of input closes it (unless `closeOnEnd` is false); with `-t`, raw mode and the window size.
 * Returns the function that undoes it all.
 */
export function wireStdin(a: Attachment, io: TerminalIo, tty: boolean, opts: { closeOnEnd?: boolean } = {}): () => void {
  const stdin = io.stdin;
  if (!stdin) return () => {};
  if (tty) stdin.setRaw?.(true);
  const offData = stdin.onData((d) => void a.write(d));
  const offEnd = opts.closeOnEnd === false ? () => {} : stdin.onEnd(() => void a.closeStdin());
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
