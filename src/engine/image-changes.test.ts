import { describe, expect, it } from 'vitest';
import { applyChanges } from './image-changes.ts';

describe('applyChanges (commit/import --change)', () => {
  it('applies each instruction as moby does', () => {
    const c = applyChanges({ Cmd: ['sh'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/w' }, [
      'ENV A=2 B="x y"', 'ENV OLD legacy form', 'LABEL a=b "c d"=e', 'EXPOSE 80 53/UDP', 'VOLUME ["/v1", "/v2"]', 'VOLUME /v3',
      'USER 1000:1000', 'WORKDIR sub/../dir', 'STOPSIGNAL SIGINT', 'ONBUILD RUN echo hi',
    ]);
    expect(c).toEqual({
      Cmd: ['sh'], Env: ['PATH=/bin', 'A=2', 'B=x y', 'OLD=legacy form'], Labels: { a: 'b', 'c d': 'e' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Volumes: { '/v1': {}, '/v2': {}, '/v3': {} }, User: '1000:1000',
      WorkingDir: '/w/dir', StopSignal: 'SIGINT', OnBuild: ['RUN echo hi'],
    });
  });

  it('CMD in JSON or shell form; ENTRYPOINT clears a CMD the same changes did not set', () => {
    expect(applyChanges({ Cmd: ['sh'] }, ['CMD echo $HOME']).Cmd).toEqual(['/bin/sh', '-c', 'echo $HOME']);
    expect(applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["top"]'])).toEqual({ Cmd: null, Entrypoint: ['top'] });
    expect(applyChanges({ Cmd: ['sh'] }, ['CMD ["-b"]', 'ENTRYPOINT ["top"]'])).toEqual({ Cmd: ['-b'], Entrypoint: ['top'] });
  });

  it('refuses what moby refuses', () => {
    expect(() => applyChanges({}, ['RUN true'])).toThrow('run is not a valid change command');
    expect(() => applyChanges({}, ['BOGUS x'])).toThrow('unknown instruction: BOGUS');
    expect(() => applyChanges({}, ['EXPOSE eighty'])).toThrow('invalid containerPort: eighty');
    expect(() => applyChanges({}, ['ONBUILD ONBUILD RUN x'])).toThrow('Chaining ONBUILD');
    expect(() => applyChanges({}, ['HEALTHCHECK --interval=1 CMD x'])).toThrow('time: missing unit in duration "1"');
  });
});
