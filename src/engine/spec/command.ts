import type { ContainerConfig } from '../../registry-client/index.ts';
import { configError } from './errors.ts';

/**
 * The container's command line from the image's Entrypoint/Cmd and the run options,
 * as moby merges them (`daemon/commit.go` `merge`, `daemon/create.go`
 * `mergeAndVerifyConfig`; docker run reference, "ENTRYPOINT" and "CMD"):
 * - arguments after the image replace the image's Cmd;
 * - `--entrypoint X` replaces the image's Entrypoint *and* drops its Cmd (only the
 *   arguments given on the command line follow X);
 * - `--entrypoint ""` clears the Entrypoint (and the image's Cmd): the arguments alone run;
 * - an Entrypoint of exactly [""] counts as none;
 * - nothing to run at all is `No command specified` (exit 125).
 */
export function resolveCommand(image: Pick<ContainerConfig, 'Entrypoint' | 'Cmd'>, opts: { entrypoint?: string; cmd: readonly string[] }): string[] {
  let entrypoint: string[] | undefined = opts.entrypoint === undefined ? undefined : [opts.entrypoint];
  let cmd: string[] = [...opts.cmd];
  if (entrypoint === undefined) {
    if (cmd.length === 0) cmd = [...(image.Cmd ?? [])];
    entrypoint = [...(image.Entrypoint ?? [])];
  }
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  if (entrypoint.length === 0 && cmd.length === 0) throw configError('No command specified', 'NO_COMMAND');
  return [...entrypoint, ...cmd];
}
