/**
 * What a COPY/ADD source is, and the checks BuildKit makes on the flags that depend on it
 * (dockerfile2llb/convert_copy.go): a local path in the context (or stage/image with
 * --from), an http(s) URL (ADD only; the file is named after the URL's last segment), or a
 * Git repository (refused here: this builder has no Git source). `--chmod` must be octal
 * up to 07777 (BuildKit's symbolic modes are refused); `--checksum` needs ADD of exactly
 * one URL.
 */
import type { InstructionOf } from './instructions.ts';
import { UnsupportedError } from './instructions.ts';
import { LineError } from './line-parsers.ts';

export type CopySource = { kind: 'local'; path: string } | { kind: 'url'; url: string; filename: string };

const GIT = /^(git@[^:]+:|git:\/\/|ssh:\/\/)|^https?:\/\/[^#]*\.git(#.*)?$/;
const HTTP = /^https?:\/\//;

/** The URL's file name as BuildKit names an ADD download (`__unnamed__` when none). */
function urlFilename(u: string): string {
  try {
    const segs = new URL(u).pathname.split('/').filter((s) => s !== '');
    return segs.length ? decodeURIComponent(segs[segs.length - 1]!) : '__unnamed__';
  } catch {
    return '__unnamed__';
  }
}

/** `--chmod`'s mode, undefined when not given. Throws BuildKit's message for a bad value. */
export function parseChmod(chmod: string): number | undefined {
  if (chmod === '') return undefined;
  if (/^[0-7]+$/.test(chmod) && parseInt(chmod, 8) <= 0o7777) return parseInt(chmod, 8);
  if (/^[+-]?\d+$/.test(chmod)) throw new LineError(`invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
  throw new UnsupportedError(`symbolic --chmod=${chmod} is not supported by this builder (use an octal mode)`);
}

/** The sources of an expanded COPY/ADD, classified; throws LineError/UnsupportedError. */
export function classifySources(ins: InstructionOf<'COPY'> | InstructionOf<'ADD'>): CopySource[] {
  const add = ins.kind === 'ADD';
  parseChmod(ins.chmod);
  if (add && ins.checksum !== '') {
    if (ins.sources.length !== 1) throw new LineError("checksum can't be specified for multiple sources");
    if (!HTTP.test(ins.sources[0]!)) throw new LineError('checksum requires HTTP(S) or Git sources');
  }
  return ins.sources.map((src): CopySource => {
    if (ins.kind === 'COPY' && ins.from !== '') return { kind: 'local', path: src };
    if (GIT.test(src)) {
      if (!add) throw new LineError("source can't be a git ref for COPY");
      throw new UnsupportedError(`ADD of a Git repository (${src}) is not supported by this builder`);
    }
    if (HTTP.test(src)) {
      if (!add) throw new LineError("source can't be a URL for COPY");
      return { kind: 'url', url: src, filename: urlFilename(src) };
    }
    return { kind: 'local', path: src };
  });
}
