import type { OutputTee } from './running-command.ts';

/** What one line printed, stream by stream, and its exit status. */
export interface LineOutput {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * A tee (for `Shell.runLine`) that keeps what a line writes to stdout and to stderr as
 * text: bytes are decoded as UTF-8 across chunk boundaries, strings kept as written.
 */
export class OutputCapture {
  readonly tee: OutputTee = { out: (c) => this.add('out', c), err: (c) => this.add('err', c) };
  private readonly text = { out: '', err: '' };
  private readonly decoders = { out: new TextDecoder(), err: new TextDecoder() };

  private add(fd: 'out' | 'err', chunk: string | Uint8Array): void {
    // A string after bytes: the bytes' tail first (a cut sequence shows as U+FFFD, as it would on a terminal).
    this.text[fd] += typeof chunk === 'string' ? this.decoders[fd].decode() + chunk : this.decoders[fd].decode(chunk, { stream: true });
  }

  /** The output so far with the exit status; bytes still held by a decoder are flushed. */
  result(status: number): LineOutput {
    this.text.out += this.decoders.out.decode();
    this.text.err += this.decoders.err.decode();
    return { status, stdout: this.text.out, stderr: this.text.err };
  }
}
