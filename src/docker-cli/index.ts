/**
 * docker-cli: the docker command line over the engine's RPC contract, without Node or
 * the DOM. The Node CLI (`tabdock ...`) and the page's shell (`docker ...`) both run it.
 */
export type { InputSource, TerminalIo, FileSink } from './io.ts';
export { INTERRUPTED, untilInterrupt, stdinBytes } from './io.ts';
export type { Command, DockerCtx } from './command.ts';
export { COMMON_COMMANDS } from './commands.ts';
export { statusText } from './commands/containers.ts';
export { runDocker } from './dispatch.ts';
export { parseArgs, usageText, flagError, type FlagSpec, type Parsed } from './args.ts';
export { humanSize, humanDuration, ago, table } from './format.ts';
export { PullPrinter } from './progress.ts';
export { VERSION } from './commands/version.ts';
