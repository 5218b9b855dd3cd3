import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileSink, InputSource, TerminalIo } from '../docker-cli/index.ts';
import type { Io } from './context.ts';
import { dirContext } from './dir-context.ts';

/** The shared commands' terminal over the process's stdio (`Io`, as bin/tabdock.mjs builds it). */
export function terminalIo(io: Io): TerminalIo {
  return {
    out: io.out,
    err: io.err,
    isTTY: io.isTTY,
    env: io.env,
    ...(io.stdin ? { stdin: nodeInput(io.stdin) } : {}),
    ...(io.size ? { size: io.size } : {}),
    ...(io.onResize ? { onResize: io.onResize } : {}),
    // A handler replaces SIGINT's default action (ending the process) while a command holds one.
    onInterrupt: (f) => {
      const h = () => f();
      process.on('SIGINT', h);
      return once(() => process.off('SIGINT', h));
    },
    cwd: process.cwd(),
    readFile: (path) => readFileSync(path, 'utf8'),
    buildContext: dirContext,
    files: {
      create: (path) => {
        try {
          closeSync(openSync(path, 'wx'));
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw e;
        }
      },
      write: (path, text) => writeFileSync(path, text),
      remove: (path) => rmSync(path, { force: true }),
    },
    writeFile: fileSink,
    readBytes: (path) => (async function* () {
      for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) yield new Uint8Array(c as Buffer);
    })(),
  };
}

/** Written beside the target and renamed over it when closed (docker save -o: never a half-written file under the name). */
function fileSink(path: string): FileSink {
  const tmp = join(dirname(path), `.${basename(path)}.tabdock-${process.pid}`);
  const ws = createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => ws.once('error', reject));
  failed.catch(() => {});
  return {
    async write(b) {
      if (!ws.write(b)) await Promise.race([new Promise<void>((r) => ws.once('drain', () => r())), failed]);
    },
    async close() {
      await Promise.race([new Promise<void>((r) => ws.end(r)), failed]);
      renameSync(tmp, path);
    },
    async abort() {
      ws.destroy();
      rmSync(tmp, { force: true });
    },
  };
}

/** A readable stream as an InputSource: flowing while someone listens, paused otherwise. */
export function nodeInput(stream: NodeJS.ReadStream): InputSource {
  let listening = 0;
  return {
    isTTY: Boolean(stream.isTTY),
    onData(f) {
      const h = (d: Buffer | string) => f(typeof d === 'string' ? new TextEncoder().encode(d) : new Uint8Array(d));
      stream.on('data', h);
      if (listening++ === 0) stream.resume();
      return once(() => {
        stream.off('data', h);
        if (--listening === 0) stream.pause();
      });
    },
    onEnd(f) {
      if (stream.readableEnded) {
        queueMicrotask(f);
        return () => {};
      }
      stream.once('end', f);
      return once(() => stream.off('end', f));
    },
    ...(stream.isTTY ? { setRaw: (on: boolean) => void stream.setRawMode(on) } : {}),
  };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) f();
    done = true;
  };
}
