/**
 * A 9P "server" that answers every request with Rlerror(ENOSYS) (9P2000.L: Rlerror is
 * size[4] type[1]=7 tag[2] ecode[4]). It stands in while no filesystem is attached, e.g.
 * while booting for a snapshot: the device must exist and must never leave a request
 * unanswered (DESIGN "v86 facts").
 */
import type { Handle9p } from './guest.ts';

const RLERROR = 7;
const ENOSYS = 38;

export const refuse9p: Handle9p = (request, reply) => {
  const out = new Uint8Array(11);
  const view = new DataView(out.buffer);
  view.setUint32(0, 11, true);
  out[4] = RLERROR;
  out[5] = request[5] ?? 0; // tag, echoed
  out[6] = request[6] ?? 0;
  view.setUint32(7, ENOSYS, true);
  reply(out);
};
