import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The invariant that lets the page run these commands: they compile with neither Node's
// types nor the DOM's (tsconfig.json here: ES2023 and the worker globals only), so a
// `node:` import, `process`, `Buffer` or `document` anywhere they reach fails this test.
describe('docker-cli is browser-safe', () => {
  it('type-checks without Node and without the DOM', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', project, '--noEmit'], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe('');
  }, 60_000);
});
