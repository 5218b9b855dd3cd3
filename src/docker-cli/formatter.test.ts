// The formatter's paths that need no engine: `version --format`, and the template errors
// `ps` reports before it asks the engine anything (docker/cli parses and runs the format
// over an empty container first), with docker's texts and exit codes.
import { describe, expect, it } from 'vitest';
import { runDocker, type TerminalIo } from './index.ts';

async function docker(...argv: string[]) {
  const r = { stdout: '', stderr: '', code: 0 };
  const io: TerminalIo = { out: (s) => (r.stdout += String(s)), err: (s) => (r.stderr += String(s)), isTTY: false, env: {} };
  const engine = () => Promise.reject(new Error('the engine must not be asked'));
  r.code = await runDocker(argv, { io, engine, prog: 'docker', runtime: 'Node v20.19.0 (linux/x64)' });
  return r;
}

describe('templates without an engine', () => {
  it('version --format: Client fields, a nil Server, docker 20.10 errors and exit codes', async () => {
    expect(await docker('version', '--format', '{{.Client.Version}} {{.Client.Os}}/{{.Client.Arch}} {{.Server}}')).toEqual({ stdout: '0.1.0 linux/x64 <nil>\n', stderr: '', code: 0 });
    expect(await docker('version', '--format', '{{.Nope')).toEqual({ stdout: '', stderr: 'template parsing error: template: version:1: unclosed action\n', code: 64 });
    expect(await docker('version', '--format', '{{.Nope}}')).toEqual({
      stdout: '\n', stderr: 'template: version:1:2: executing "version" at <.Nope>: can\'t evaluate field Nope in type system.versionInfo\n', code: 1,
    });
  });

  it('ps checks its format before listing anything', async () => {
    expect(await docker('ps', '--format', '{{.Names')).toEqual({ stdout: '', stderr: 'failed to parse template: template: :1: unclosed action\n', code: 1 });
    expect(await docker('ps', '--format', 'table {{.ID}}\\t{{.Nope}}')).toEqual({
      stdout: '', stderr: 'failed to execute template: template: :1:17: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n', code: 1,
    });
    expect(await docker('ps', '--filter', 'nothing')).toMatchObject({ code: 125 });
  });
});
