import type { Page } from 'playwright-core';

/** What one line run in the page's shell printed, stream by stream, and its exit status. */
export interface LineOutput {
  status: number;
  stdout: string;
  stderr: string;
}

/** What the tests use of <tabdock-playground> (its module needs Vite's CSS imports, so it is not imported here). */
export interface CapturingPlayground extends HTMLElement {
  terminalText(tab?: number): string;
  runCaptured(line: string): Promise<LineOutput> | false;
}

/**
 * A line run through the playground's shell as its buttons send it (`runCaptured`: shown as
 * typed, tokenized, run by docker-cli on the shell's TerminalIo), with stdout and stderr
 * apart. Fails when the shell is busy or the line has not ended within `timeout`.
 */
export async function runInPageShell(page: Page, line: string, timeout = 60_000): Promise<LineOutput> {
  const run = page.evaluate(async (l): Promise<LineOutput | 'busy'> => {
    const r = document.querySelector<CapturingPlayground>('tabdock-playground')!.runCaptured(l);
    return r === false ? 'busy' : await r;
  }, line);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no prompt after ${timeout} ms: ${line}`)), timeout)));
  try {
    const r = await Promise.race([run, late]);
    if (r === 'busy') throw new Error(`the shell was busy: ${line}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}
