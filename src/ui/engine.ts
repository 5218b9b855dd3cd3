import { sharedEngine } from '../engine/browser/client.ts';
import type { BrowserEngine } from '../engine/browser/events.ts';
import { runDocker } from '../docker-cli/index.ts';
import type { DockerRunner } from './shell/terminal-io.ts';

export type { BrowserEngine };

/** The page's engine: one worker for the playground and every embed on the page. */
export function pageEngine(): BrowserEngine {
  return sharedEngine();
}

/** `docker ARGS...` in this page: the docker command layer over the page's engine. */
export function dockerRunner(engine: BrowserEngine): DockerRunner {
  return (argv, io) => runDocker(argv, { io, engine: async () => engine, prog: 'docker', runtime: 'Web Worker, v86 guest (linux/386)' });
}
