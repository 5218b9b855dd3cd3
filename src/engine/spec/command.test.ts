import { describe, expect, it } from 'vitest';
import { resolveCommand } from './command.ts';

// The docker run reference / Dockerfile reference table of ENTRYPOINT x CMD, plus the
// command line's overrides.
describe('resolveCommand', () => {
  const E = ['/bin/ep', 'p1'];
  const C = ['c1', 'c2'];
  it.each([
    ['image Cmd only', { Cmd: C }, {}, C],
    ['image Entrypoint only', { Entrypoint: E }, {}, E],
    ['image Entrypoint + Cmd', { Entrypoint: E, Cmd: C }, {}, [...E, ...C]],
    ['args replace Cmd', { Cmd: C }, { cmd: ['ls', '-l'] }, ['ls', '-l']],
    ['args follow Entrypoint, replacing Cmd', { Entrypoint: E, Cmd: C }, { cmd: ['x'] }, [...E, 'x']],
    ['--entrypoint drops image Entrypoint and Cmd', { Entrypoint: E, Cmd: C }, { entrypoint: 'sh' }, ['sh']],
    ['--entrypoint + args', { Entrypoint: E, Cmd: C }, { entrypoint: 'sh', cmd: ['-c', 'id'] }, ['sh', '-c', 'id']],
    ['--entrypoint is one word, not split', {}, { entrypoint: 'sh -c' }, ['sh -c']],
    ['--entrypoint "" + args runs the args', { Entrypoint: E, Cmd: C }, { entrypoint: '', cmd: ['id'] }, ['id']],
    ['image Entrypoint [""] counts as none', { Entrypoint: [''], Cmd: C }, {}, C],
    ['null Entrypoint and Cmd from JSON', { Entrypoint: null, Cmd: C }, {}, C],
  ])('%s', (_, image, opts, want) => {
    expect(resolveCommand(image, { cmd: [], ...opts })).toEqual(want);
  });

  it.each([
    ['no Entrypoint, no Cmd, no args', {}, {}],
    ['--entrypoint "" and no args', { Cmd: ['sh'] }, { entrypoint: '' }],
    ['Entrypoint [""] and no Cmd', { Entrypoint: [''] }, {}],
  ])('%s: No command specified (125)', (_, image, opts) => {
    expect(() => resolveCommand(image, { cmd: [], ...opts })).toThrow(expect.objectContaining({ message: 'No command specified', code: 'NO_COMMAND', exitCode: 125 }));
  });
});
