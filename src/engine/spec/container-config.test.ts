import { describe, expect, it } from 'vitest';
import { anonymousVolumeTargets, mergeContainerConfig, stopSignalOf } from './container-config.ts';
import type { RunOptions } from './run-options.ts';

const options = (o: Partial<RunOptions> = {}): RunOptions => ({
  image: 'img', cmd: [], detach: false, interactive: false, tty: false, rm: false, env: [], readOnly: false,
  tmpfs: [], volumes: [], capAdd: [], capDrop: [], privileged: false, seccomp: 'default', noNewPrivileges: false,
  labels: {}, pull: 'missing', init: false, network: 'default', networkAliases: [], addHosts: [], dns: [], dnsSearch: [], dnsOptions: [], publish: [], publishAll: false, expose: [], restart: { Name: 'no', MaximumRetryCount: 0 }, ulimits: [], ...o,
});

describe('mergeContainerConfig (moby merge)', () => {
  const image = { Entrypoint: ['/ep'], Cmd: ['c'], Env: ['A=1', 'B=2'], User: 'www', WorkingDir: '/w', Labels: { x: '1', y: '2' }, StopSignal: 'SIGQUIT', Volumes: { '/data': {} } };
  it('image values when nothing is given', () => {
    expect(mergeContainerConfig(image, options(), 'h')).toEqual({
      Hostname: 'h', User: 'www', Tty: false, OpenStdin: false, Env: ['A=1', 'B=2'], Cmd: ['c'], Entrypoint: ['/ep'],
      WorkingDir: '/w', Labels: { x: '1', y: '2' }, Volumes: { '/data': {} }, StopSignal: 'SIGQUIT', Image: 'img',
    });
  });
  it('run options win', () => {
    const c = mergeContainerConfig(image, options({ cmd: ['x'], env: ['B=3'], user: 'root', workdir: '/o', labels: { y: '9' }, stopSignal: 'SIGINT', stopTimeout: 2, tty: true, interactive: true, volumes: [{ type: 'volume', target: '/anon', readOnly: false }] }), 'h');
    expect(c).toMatchObject({ Cmd: ['x'], Entrypoint: ['/ep'], Env: ['B=3', 'A=1'], User: 'root', WorkingDir: '/o', Labels: { x: '1', y: '9' }, StopSignal: 'SIGINT', StopTimeout: 2, Tty: true, OpenStdin: true, Volumes: { '/data': {}, '/anon': {} } });
  });
  it('--entrypoint drops the image Cmd; --entrypoint "" clears both', () => {
    expect(mergeContainerConfig(image, options({ entrypoint: 'sh' }), 'h')).toMatchObject({ Entrypoint: ['sh'], Cmd: null });
    expect(mergeContainerConfig(image, options({ entrypoint: '', cmd: ['id'] }), 'h')).toMatchObject({ Entrypoint: null, Cmd: ['id'] });
  });
});

describe('stop signal and anonymous volumes', () => {
  it('stopSignalOf: given, else SIGTERM', () => {
    expect(stopSignalOf({ StopSignal: 'QUIT' })).toEqual({ number: 3, name: 'SIGQUIT' });
    expect(stopSignalOf({})).toEqual({ number: 15, name: 'SIGTERM' });
  });
  it('image VOLUMEs and -v /path, unless a run mount covers them', () => {
    const o = options({ volumes: [{ type: 'volume', source: 'named', target: '/data', readOnly: false }, { type: 'volume', target: '/scratch', readOnly: false }], tmpfs: [{ target: '/cache', data: '' }] });
    expect(anonymousVolumeTargets({ Volumes: { '/data': {}, '/cache': {}, '/logs/': {} } }, o)).toEqual(['/logs', '/scratch']);
    expect(anonymousVolumeTargets(undefined, options())).toEqual([]);
  });
});
