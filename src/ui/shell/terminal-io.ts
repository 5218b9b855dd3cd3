/**
 * The docker command layer's terminal contract (src/docker-cli's TerminalIo), declared
 * here until that module lands; the shell implements it over xterm.js.
 */
export interface InputSource {
  onData(f: (d: Uint8Array) => void): () => void;
  onEnd(f: () => void): () => void;
  setRaw?(on: boolean): void;
}

export interface TerminalIo {
  out(s: string | Uint8Array): void;
  err(s: string | Uint8Array): void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  stdin?: InputSource;
  size?(): { cols: number; rows: number } | undefined;
  onResize?(f: () => void): () => void;
  onInterrupt?(f: () => void): () => void;
  readFile?(path: string): string;
}

/** Runs one docker command line (argv without the program name); resolves to its exit status. */
export type DockerRunner = (argv: string[], io: TerminalIo) => Promise<number>;
