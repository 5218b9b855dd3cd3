// Fails fast, naming everything missing at once with what provides it, when the machine
// lacks a program or file the tests drive for real.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSnapshot, DEFAULT_SNAPSHOT_PATH } from '../src/emulator/node.ts';
import { busyboxI386 } from './support/fixture-builders.ts';
import { CLANG_ARGS } from './support/wasi.ts';

/** Programs on PATH, with the Debian package that has each. */
const PROGRAMS: [string, string][] = [
  ['docker-registry', 'docker-registry'],
  ['skopeo', 'skopeo'],
  ['umoci', 'umoci'],
  ['openssl', 'openssl'],
  ['perl', 'perl'],
  ['tar', 'tar'],
  ['zstd', 'zstd'],
  ['chromium', 'chromium'],
  ['tmux', 'tmux'],
  ['clang', 'clang'],
  ['wasm-ld', 'lld'],
];

const onPath = (bin: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export default async function setup(): Promise<void> {
  const missing: string[] = [];
  for (const [bin, pkg] of PROGRAMS) if (!onPath(bin)) missing.push(`${bin} (Debian package ${pkg})`);
  // The WebAssembly test programs: clang, wasi-libc, lld and the wasm32 compiler runtime, all
  // checked by building one the way test/support/wasi.ts does.
  if (onPath('clang')) {
    const dir = mkdtempSync(join(tmpdir(), 'tabdock-setup-'));
    try {
      writeFileSync(join(dir, 'x.c'), 'int main(void) { return 0; }\n');
      execFileSync('clang', [...CLANG_ARGS, '-o', join(dir, 'x.wasm'), join(dir, 'x.c')], { stdio: 'pipe' });
    } catch (e) {
      const why = String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').at(-1);
      missing.push(`a clang that builds WASI programs (Debian packages wasi-libc, lld, libclang-rt-14-dev-wasm32): ${why}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  try {
    busyboxI386();
  } catch (e) {
    missing.push(`the i386 static busybox: ${(e as Error).message}`);
  }
  // Tests restore the guest from it (and one asserts they did): a stale one would silently be a cold boot.
  try {
    await checkSnapshot(DEFAULT_SNAPSHOT_PATH);
  } catch (e) {
    missing.push(`a guest snapshot that fits this checkout: ${(e as Error).message} ('npm run snapshot', about 30 s)`);
  }
  if (missing.length) {
    throw new Error(`the tests need what this machine lacks:\n  - ${missing.join('\n  - ')}\n'bash .ci/run' installs the Debian packages (apt-get) and makes the snapshot; or install them yourself.`);
  }
}
