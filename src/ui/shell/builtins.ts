import type { History } from './history.ts';

export interface BuiltinContext {
  write(s: string): void;
  history: History;
  /** The last command's exit status (`$?`). */
  status: number;
}

export interface Builtin {
  name: string;
  summary: string;
  run(args: string[], ctx: BuiltinContext): number;
}

/** Clear the screen and the scrollback (xterm's ED 3). */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[3J';

const help: Builtin = {
  name: 'help',
  summary: 'show this help',
  run(_args, { write }) {
    write(
      [
        'This shell runs docker commands in your browser tab: images are pulled from real',
        'registries and containers run in a Linux guest in this page. For example:',
        '',
        '  docker run --rm busybox echo hello',
        '  docker run -it alpine sh          (Ctrl-P Ctrl-Q detaches, exit leaves)',
        '  docker ps -a / docker images / docker logs NAME / docker rm NAME',
        '',
        "Run 'docker --help' for every docker command. Commands can be joined with ;, && and ||.",
        'Keys: arrows and Home/End move, Up/Down browse the history, Ctrl-A/E/U/K/W/L as in bash.',
        '',
        'Built in here:',
        ...BUILTINS.map((b) => `  ${b.name.padEnd(8)} ${b.summary}`),
        '',
      ].join('\r\n'),
    );
    return 0;
  },
};

const clear: Builtin = {
  name: 'clear',
  summary: 'clear the screen',
  run(_args, { write }) {
    write(CLEAR_SCREEN);
    return 0;
  },
};

const history: Builtin = {
  name: 'history',
  summary: 'list the commands typed here (kept across reloads)',
  run(_args, { write, history: h }) {
    const w = String(h.length).length;
    h.list().forEach((line, i) => write(`  ${String(i + 1).padStart(w)}  ${line}\r\n`));
    return 0;
  },
};

const echo: Builtin = {
  name: 'echo',
  summary: 'print its arguments ($? is the last exit status)',
  run(args, { write, status }) {
    write(`${args.map((a) => a.replaceAll('$?', String(status))).join(' ')}\r\n`);
    return 0;
  },
};

const exit: Builtin = {
  name: 'exit',
  summary: "leave a container's shell (this one stays with the tab)",
  run(_args, { write }) {
    write('exit: this is the page\'s own shell, there is nothing to go back to; `docker run -it IMAGE sh` opens one in a container\r\n');
    return 1;
  },
};

export const BUILTINS: Builtin[] = [help, clear, history, echo, exit];

export function findBuiltin(name: string): Builtin | undefined {
  return BUILTINS.find((b) => b.name === name);
}
