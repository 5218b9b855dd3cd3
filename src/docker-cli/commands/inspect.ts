import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { inspectFormatted } from '../formatter.ts';

export const imageInspect: Command = {
  name: 'image inspect',
  usage: 'image inspect [OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', help: 'Format the output using the given Go template' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const found = await (await engine()).inspectImages(p.args);
    // A missing image crosses the daemon's socket as null, the worker's port as undefined.
    const out = found.filter((x): x is Record<string, unknown> => x != null);
    const missing = p.args.find((_, i) => found[i] == null);
    const format = p.flags['format'] as string | undefined;
    const code = format ? inspectFormatted(io, format, out) : (io.out(`${JSON.stringify(out, null, 4)}\n`), 0);
    if (missing) throw new TabdockError('NO_SUCH_IMAGE', `No such image: ${missing}`, {});
    return code;
  },
};

/** `docker inspect`: containers first, then images, as the docker CLI looks them up. */
export const inspect: Command = {
  name: 'inspect',
  aliases: ['container inspect'],
  usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  flags: imageInspect.flags,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    const out: Record<string, unknown>[] = [];
    let missing: string | undefined;
    for (const ref of p.args) {
      const c = await api.inspectContainer(ref).catch(() => undefined);
      const obj = c ?? (await api.inspectImages([ref]))[0];
      if (obj) out.push(obj);
      else missing ??= ref;
    }
    const format = p.flags['format'] as string | undefined;
    const code = format ? inspectFormatted(io, format, out) : (io.out(`${JSON.stringify(out, null, 4)}\n`), 0);
    if (missing) throw new TabdockError('NO_SUCH_OBJECT', `No such object: ${missing}`, {});
    return code;
  },
};
