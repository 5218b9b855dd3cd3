// Runs the real `tabdock` command (bin/tabdock.mjs) in a child process, as a user would.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry, type TestRegistry } from './registry.ts';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tabdock.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHome {
  home: string;
  env: Record<string, string>;
  run(...args: string[]): Promise<CliResult>;
  dispose(): void;
}

/** A fresh `$TABDOCK_HOME` and a runner bound to it. */
export function cliHome(env: Record<string, string> = {}): CliHome {
  const home = mkdtempSync(join(tmpdir(), 'tabdock-home-'));
  // The daemon the CLI starts on first need exits by itself soon after the test.
  const fullEnv = { TABDOCK_DAEMON_IDLE_SECONDS: '20', ...env, TABDOCK_HOME: home };
  return {
    home,
    env: fullEnv,
    run: (...args) => runCli(args, fullEnv),
    dispose: () => {
      // The daemon saves its containers' exits as it stops, so the home is removed only
      // once it has gone: removing it under a daemon still writing fails with ENOTEMPTY.
      stopDaemon(home);
      rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}

/**
 * One CLI call; its limit covers a daemon start and a guest restore on a loaded 2-core
 * machine. The file is run itself, through its `#!` line, as `npx tabdock` and a shell run it.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One CLI call with `input` on its stdin, then closed (`build -`, `run -i`). */
export function runCliWithInput(args: string[], env: Record<string, string>, input: string | Uint8Array): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input);
  });
}

/**
 * Ends the daemon a test's CLI started (it would exit when idle anyway) and waits until
 * it has gone, so nothing it writes as it stops lands after the caller goes on.
 */
export function stopDaemon(home: string, deadlineMs = 60_000): void {
  let pid: number;
  try {
    pid = Number(readFileSync(join(home, 'tabdock.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // not running
  }
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + deadlineMs;
  while (alive(pid)) {
    if (Date.now() > until) {
      process.kill(pid, 'SIGKILL');
      throw new Error(`the daemon (pid ${pid}) did not stop within ${deadlineMs / 1000} s of SIGTERM`);
    }
    Atomics.wait(nap, 0, 0, 50);
  }
}

/** Running, not a zombie (where nothing reaps orphans, an ended daemon stays one). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The setup of the container tests: a real registry holding the `busybox` fixture, a
 * fresh $TABDOCK_HOME whose daemon trusts it, and the image already pulled.
 */
export async function busyboxCli(): Promise<{ reg: TestRegistry; cli: CliHome; image: string }> {
  const reg = await startRegistry();
  await reg.push('busybox', 'busybox:latest');
  const image = `${reg.host}/busybox`;
  const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120' });
  const first = await cli.run('pull', image);
  if (first.code !== 0) throw new Error(`tabdock pull ${image} failed: ${first.stderr}`);
  return { reg, cli, image };
}
