// The template engine against the real docker CLI: each case of testdata/template-cases.json
// was run as `docker volume inspect -f CASE tv1` by scripts/record-docker-templates.mjs
// (docker 20.10, Go 1.19); tabdock's `volume inspect -f` path must print the same bytes
// and exit with the same status.
import { describe, expect, it } from 'vitest';
import { TabdockError } from '../../shared/errors.ts';
import { inspectFormatted } from '../formatter.ts';
import type { TerminalIo } from '../io.ts';
import recorded from '../testdata/docker-templates.json' with { type: 'json' };

function run(format: string): { stdout: string; stderr: string; code: number } {
  const r = { stdout: '', stderr: '', code: 0 };
  const io = { out: (s: string) => (r.stdout += s), err: (s: string) => (r.stderr += s), isTTY: false, env: {} } as unknown as TerminalIo;
  try {
    r.code = inspectFormatted(io, format, [recorded.volume], { typed: 'types.Volume' });
  } catch (e) {
    if (!TabdockError.is(e, 'TEMPLATE_ERROR')) throw e;
    r.stderr += `${e.message}\n`;
    r.code = e.exitCode ?? 1;
  }
  return r;
}

describe(`templates as ${recorded.recordedWith} prints them`, () => {
  it.each(recorded.cases)('$format', (c) => {
    expect(run(c.format)).toEqual({ stdout: c.stdout, stderr: c.stderr, code: c.code });
  });
});
