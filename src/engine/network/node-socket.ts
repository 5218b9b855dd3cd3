import type { Socket } from 'node:net';
import type { PipeEnd } from '../../emulator/index.ts';

/** A Node socket as the other end of `pipeSocket` (backpressure by `drain`; half-close kept). Node-only. */
export function nodePipeEnd(s: Socket): PipeEnd {
  return {
    write: (b) => (s.write(b) ? undefined : new Promise<void>((resolve, reject) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', gone);
        resolve();
      };
      const gone = () => {
        s.off('drain', done);
        reject(new Error('socket closed'));
      };
      s.on('drain', done);
      s.once('close', gone);
    })),
    end: () => void s.end(),
    destroy: () => void s.destroy(),
    onData: (l) => void s.on('data', l),
    onEnd: (l) => void s.on('end', l),
    onClose: (l) => void s.on('close', l),
    pause: () => void s.pause(),
    resume: () => void s.resume(),
  };
}
