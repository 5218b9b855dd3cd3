import { tokenize } from '../shell/tokenize.ts';

export interface RunSpec {
  image: string;
  /** The command after the image, as a shell would split it (`echo "a b"`). */
  cmd?: string | null;
  /** More `docker run` flags (`-e NAME=world --workdir /tmp`). */
  options?: string | null;
  interactive: boolean;
}

/**
 * The `docker run` arguments of a `<tabdock-run>`: `--rm` always (a docs example leaves
 * nothing behind), `-it` in interactive mode, then the author's flags, the image, the
 * command. Throws with a sentence when an attribute cannot be split into words.
 */
export function runArgv(s: RunSpec): string[] {
  const words = (what: string, text: string | null | undefined): string[] => {
    if (!text || !text.trim()) return [];
    const t = tokenize(text);
    if (!t.ok) throw new Error(`the ${what} attribute cannot be read: ${t.error}`);
    if (t.commands.length !== 1) throw new Error(`the ${what} attribute must be one command (no ;, && or ||)`);
    return t.commands[0]!.argv;
  };
  const image = s.image.trim();
  if (!image) throw new Error('the image attribute is missing: <tabdock-run image="busybox" cmd="echo hello">');
  return ['run', '--rm', ...(s.interactive ? ['-it'] : []), ...words('options', s.options), image, ...words('cmd', s.cmd)];
}
