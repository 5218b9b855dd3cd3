import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { stdinBytes, type TerminalIo } from '../io.ts';

/** Where an archive goes: `-o FILE` (written aside, renamed when complete), else stdout, never a terminal (docker/cli). */
export async function writeArchive(io: TerminalIo, output: string | undefined, cmd: string, produce: (write: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  if (output !== undefined) {
    if (!io.writeFile) throw new TabdockError('CLI_ERROR', `${cmd} -o: this terminal has no files to write to`, {});
    const f = io.writeFile(output);
    try {
      await produce((b) => f.write(b));
      await f.close();
    } catch (e) {
      await f.abort();
      throw e;
    }
    return;
  }
  if (io.isTTY) throw new TabdockError('CLI_ERROR', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', {});
  await produce(async (b) => io.out(b));
}

/** Where an archive comes from: `-i FILE` / a file argument, else stdin (`-`). */
export function readArchive(io: TerminalIo, input: string | undefined, cmd: string): () => Promise<Uint8Array | undefined> {
  if (input !== undefined && input !== '-') {
    if (!io.readBytes) throw new TabdockError('CLI_ERROR', `${cmd}: this terminal has no files to read`, {});
    const it = io.readBytes(input)[Symbol.asyncIterator]();
    return async () => {
      try {
        return (await it.next()).value ?? undefined;
      } catch (e) {
        throw new TabdockError('CLI_ERROR', `open ${input}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file or directory' : e instanceof Error ? e.message : String(e)}`, {});
      }
    };
  }
  if (io.stdin?.isTTY) throw new TabdockError('CLI_ERROR', 'requested load from stdin, but stdin is empty', {});
  return stdinBytes(io);
}

export const save: Command = {
  name: 'save',
  aliases: ['image save'],
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', help: 'Write to a file, instead of STDOUT' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    await writeArchive(io, p.flags['output'] as string | undefined, 'save', (write) => api.saveImages(p.args, write));
    return 0;
  },
};

export const load: Command = {
  name: 'load',
  aliases: ['image load'],
  usage: 'load [OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', type: 'string', value: 'string', help: 'Read from tar archive file, instead of STDIN' },
    // tabdock shows no per-layer load progress, so -q leaves only what it prints anyway.
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the load output' },
  ],
  args: [0, 0],
  async run(p, { io, engine }) {
    const next = readArchive(io, p.flags['input'] as string | undefined, 'load');
    const loaded = await (await engine()).loadImages(async () => (await next()) ?? null);
    for (const l of loaded) {
      if (l.tags.length === 0) io.out(`Loaded image ID: ${l.id}\n`);
      for (const t of l.tags) io.out(`Loaded image: ${t}\n`);
    }
    return 0;
  },
};
