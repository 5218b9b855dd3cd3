/**
 * Known differences from docker 20.10's recorded lists (src/docker-cli/testdata/docker-lists.json),
 * shared by docker-lists.test.ts (the CLI) and browser/docker-lists-page.test.ts (the page's
 * shell), keyed by the case's words joined with spaces, each with its reason.
 *
 * The expected stderr is Docker's with this prefix: tabdock's dispatcher starts every flag
 * error with `PROG: ` (docker 20.10 and today's docker print none); that line is the
 * dispatcher's, shared by every command, and the prefix is written as `docker: ` (the
 * page's program name, and the CLI's once normalised).
 */
export const DOCKER_LISTS_KNOWN: Record<string, { stderrPrefix: string }> = {
  'ps --filter nothing': { stderrPrefix: 'docker: ' },
  'ps -n x': { stderrPrefix: 'docker: ' },
};
