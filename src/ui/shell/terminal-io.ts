import type { TerminalIo } from '../../docker-cli/index.ts';

export type { InputSource, TerminalIo } from '../../docker-cli/index.ts';

/** Runs one docker command line (argv without the program name); resolves to its exit status. */
export type DockerRunner = (argv: string[], io: TerminalIo) => Promise<number>;
