import type { Command, DockerCtx } from '../../docker-cli/index.ts';

/** The Node CLI's context: the shared one, plus the process's stdin as a stream (`cp -`, `login --password-stdin`). */
export interface NodeCtx extends DockerCtx {
  /** Read with back-pressure, unlike the terminal's InputSource (a tar piped into `cp -` can be large). */
  stdinStream?: NodeJS.ReadStream;
}

/** A command only the Node CLI has: it needs the host's files, $TABDOCK_HOME or a server socket. */
export type NodeCommand = Command<NodeCtx>;
