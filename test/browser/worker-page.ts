// Runs in real Chromium: the engine worker through its page-side client, as the
// playground uses it. The test drives it through `globalThis.tabdockWorker`.
import { connectEngine } from '../../src/engine/browser/client.ts';
import type { BrowserEngine, BrowserEvent } from '../../src/engine/browser/events.ts';
import { parseRunOptions } from '../../src/engine/spec/run-flags.ts';
import { TabdockError } from '../../src/shared/errors.ts';

let engine: BrowserEngine | undefined;
const events: BrowserEvent[] = [];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const api = {
  /** `relay`: a relay URL, or false for none (default: the dev server's `/wisp/`). */
  connect(db: string, relay?: string | false) {
    engine = connectEngine({ db, ...(relay !== undefined ? { relay } : {}) });
    engine.subscribe((e) => events.push(e));
    return true;
  },
  async pull(ref: string) {
    return engine!.pull(ref, {}, () => {});
  },
  /** create + attach + start + wait, as `docker run --rm` does; the output and the exit code. */
  async run(image: string, cmd: string[], opts: { tty?: boolean; input?: string; flags?: Record<string, string[]> } = {}) {
    const t0 = performance.now();
    let first: number | undefined;
    const options = parseRunOptions({ flags: { ...opts.flags, rm: true, tty: opts.tty ?? false, interactive: opts.input !== undefined }, args: [image, ...cmd] });
    const { Id } = await engine!.createContainer({ image, options });
    let out = '';
    const a = await engine!.attachContainer(Id, (chunk) => {
      first ??= performance.now() - t0;
      out += text(chunk);
    });
    await engine!.startContainer(Id, {});
    if (opts.input !== undefined) {
      await a.write(new TextEncoder().encode(opts.input));
      await a.closeStdin();
    }
    const r = await engine!.waitContainer(Id);
    return { out, code: r.StatusCode, firstOutputMs: first, totalMs: performance.now() - t0 };
  },
  /** `run -d`: create and start, then the exit the engine publishes (nothing asks for it). */
  async runDetached(image: string, cmd: string[]) {
    const options = parseRunOptions({ flags: { detach: true }, args: [image, ...cmd] });
    const { Id } = await engine!.createContainer({ image, options });
    const died = new Promise<BrowserEvent>((resolve) => {
      const off = engine!.subscribe((e) => {
        if (e.type === 'container' && e.action === 'die' && e.id === Id) {
          off();
          resolve(e);
        }
      });
    });
    await engine!.startContainer(Id, {});
    return { id: Id, died: await died };
  },
  async error(ref: string) {
    try {
      await engine!.pull(ref, {});
      return { code: 'none' };
    } catch (e) {
      const err = e as { name: string; code: string; message: string; data: Record<string, unknown>; retryable: boolean };
      return { name: err.name, code: err.code, message: err.message, data: err.data, retryable: err.retryable, isTabdock: e instanceof TabdockError };
    }
  },
  async warmUp() {
    const t0 = performance.now();
    await engine!.warmUp();
    return performance.now() - t0;
  },
  async list() {
    return { images: await engine!.listImages(), containers: await engine!.listContainers({ all: true }) };
  },
  events: () => events.map((e) => e.type === 'boot' ? `boot:${e.status.phase}` : 'action' in e ? `${e.type}:${e.action}` : e.type),
  /** What the page was told about its network (the worker's 'network' events). */
  networkNotices: () => events.flatMap((e) => (e.type === 'network' && 'available' in e ? [e.message] : [])),
  async reset() {
    await engine!.reset();
    return true;
  },
};

(globalThis as unknown as { tabdockWorker: typeof api }).tabdockWorker = api;
document.title = 'ready';
