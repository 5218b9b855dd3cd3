// Process and temp-dir plumbing shared by the harness: free loopback ports, child
// processes that cannot outlive the test process, and cleanup on exit.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const liveDirs = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    // Closing the watchdog's stdin makes it kill its daemon (see startDaemon).
    for (const child of liveChildren) child.stdin?.destroy();
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh temp dir, removed by `removeTempDir` or at the latest when the process exits. */
export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `tabdock-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** A port that was free a moment ago on 127.0.0.1 (callers retry if they lose the race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface Daemon {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** Ends the daemon (SIGTERM), then the watchdog removes `cleanupDir`. */
  stop(): Promise<void>;
  /** Kills only the watchdog, without cleanup: for a daemon that has already exited. */
  abandon(): Promise<void>;
}

/**
 * Starts a long-running command behind a tiny `sh` watchdog that holds our stdin pipe:
 * when this process dies for any reason (even SIGKILL) the pipe closes and the watchdog
 * kills the daemon, so no registry outlives its test run.
 */
export function startDaemon(cmd: string, args: string[], opts: { cleanupDir?: string } = {}): Daemon {
  installExitHook();
  // After the daemon exits, the watchdog also removes `cleanupDir` (its storage), so a
  // killed test run leaves nothing behind.
  const script =
    '"$@" </dev/null & p=$!; cat >/dev/null; kill $p 2>/dev/null; wait $p; ' +
    'if [ -n "$TABDOCK_CLEANUP_DIR" ]; then rm -rf "$TABDOCK_CLEANUP_DIR"; fi';
  const child = spawn('sh', ['-c', script, 'sh', cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TABDOCK_CLEANUP_DIR: opts.cleanupDir ?? '' },
  });
  liveChildren.add(child);
  let log = '';
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      liveChildren.delete(child);
      resolve(code);
    });
  });
  return {
    output: () => log,
    exited,
    async stop() {
      if (!liveChildren.has(child)) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    async abandon() {
      if (!liveChildren.has(child)) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
