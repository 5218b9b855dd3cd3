import { sharedEngine, type ConnectOptions } from '../engine/browser/client.ts';
import type { BrowserEngine } from '../engine/browser/events.ts';
import { runDocker } from '../docker-cli/index.ts';
import type { DockerRunner } from './shell/terminal-io.ts';
import type { PageFiles } from './page-files.ts';
import type { ContextSource } from '../build/index.ts';

export type { BrowserEngine };

/**
 * The page's engine: one worker for the playground and every embed on the page. The
 * options count on the first call only (the worker is made then).
 */
export function pageEngine(o: Pick<ConnectOptions, 'proxy' | 'assets' | 'memoryBytes'> = {}): BrowserEngine {
  return sharedEngine(o);
}

/**
 * `docker ARGS...` in this page: the docker command layer over the page's engine; with
 * `files`, `save -o` downloads and `load -i` reads dropped files; with `project`, `docker
 * build PATH` sends the files panel's project, whatever PATH names (the page has no other
 * directory).
 */
export function dockerRunner(engine: BrowserEngine, files?: PageFiles, project?: () => Promise<ContextSource>): DockerRunner {
  return (argv, io) => runDocker(argv, {
    io: {
      ...io,
      ...(files ? { writeFile: files.writeFile, readBytes: files.readBytes } : {}),
      ...(project ? { buildContext: () => project() } : {}),
    },
    engine: async () => engine, prog: 'docker', runtime: 'Web Worker, v86 guest (linux/386)',
  });
}
