import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { containerHealthcheck, interpolateString, loadProject, parseDotenv, renderProject, shellSplit, type LoadOptions } from './index.ts';

const ENV: Record<string, string> = { A: 'a', EMPTY: '' };
const look = (k: string) => ENV[k];
const bad = () => new Error('bad');

describe('interpolation (compose-spec "Interpolation")', () => {
  it.each([
    ['$A ${A}', 'a a'],
    ['${B:-def}', 'def'], ['${EMPTY:-def}', 'def'], ['${EMPTY-def}', ''], ['${B-def}', 'def'],
    ['${A:+alt}', 'alt'], ['${EMPTY:+alt}', ''], ['${EMPTY+alt}', 'alt'],
    ['$$A $${A}', '$A ${A}'], ['${B:-${A}x}', 'ax'], ['${UNSET}', ''],
  ])('%s -> %s', (input, want) => {
    expect(interpolateString(input, look, bad)).toBe(want);
  });

  it('fails on a required variable and on a bad form', () => {
    expect(() => interpolateString('${B:?say B}', look, bad)).toThrow('required variable B is missing a value: say B');
    expect(() => interpolateString('${EMPTY?x}', look, bad)).not.toThrow();
    expect(() => interpolateString('${A', look, bad)).toThrow('bad');
    expect(() => interpolateString('${-x}', look, bad)).toThrow('bad');
  });
});

it('reads .env files as compose-go does', () => {
  const text = '# c\nexport X=1\nY = two words # note\nZ="a\\nb ${X}"\nQ=\'lit ${X}\'\nBARE\nHOME_\n';
  expect(parseDotenv('.env', text, (k) => (k === 'BARE' ? 'b' : undefined))).toEqual([['X', '1'], ['Y', 'two words'], ['Z', 'a\nb 1'], ['Q', 'lit ${X}'], ['BARE', 'b']]);
});

it('splits commands as a shell splits words', () => {
  expect(shellSplit(`sh -c 'echo "$x" y' "a b" c\\ d`)).toEqual(['sh', '-c', 'echo "$x" y', 'a b', 'c d']);
});

const opts = (files: Array<[string, string]>, more: Partial<LoadOptions> = {}): LoadOptions => ({
  files: files.map(([name, text]) => ({ name, text })), dirName: 'My App', workingDir: '/w/My App', env: look, profiles: [], ...more,
});

describe('loadProject', () => {
  it('merges files as the spec says: maps merge, command replaced, ports appended, volumes by target', () => {
    const p = loadProject(opts([
      ['a.yaml', 'services:\n  s:\n    image: x\n    command: a b\n    environment: [K=1, L=2]\n    ports: ["80"]\n    volumes: [v:/data, /tmp/x]\nvolumes:\n  v:\n'],
      ['b.yaml', 'services:\n  s:\n    command: ["c"]\n    environment: {L: "3"}\n    ports: ["80", "90:91"]\n    volumes: ["w:/data"]\nvolumes:\n  w: {name: shared}\n'],
    ]));
    expect(p.name).toBe('myapp');
    expect(p.services['s']).toEqual({
      image: 'x', command: ['c'], environment: { K: '1', L: '3' },
      ports: [{ mode: 'ingress', target: 80, protocol: 'tcp' }, { mode: 'ingress', target: 91, published: '90', protocol: 'tcp' }],
      volumes: [{ type: 'volume', source: 'w', target: '/data' }, { type: 'volume', target: '/tmp/x' }], networks: { default: null },
    });
    expect(p.volumes).toEqual({ v: { name: 'myapp_v' }, w: { name: 'shared' } });
    expect(renderProject(p)).toContain('networks:\n  default:\n    name: myapp_default\n');
  });

  it('takes healthcheck and depends_on service_healthy; merges the check key by key, test replaced; config prints Go durations', () => {
    const p = loadProject(opts([
      ['a.yaml', 'services:\n  db:\n    image: x\n    healthcheck:\n      test: pg_isready\n      interval: 90s\n      retries: 5\n  web:\n    image: x\n    depends_on:\n      db: {condition: service_healthy}\n  off:\n    image: x\n    healthcheck: {disable: true}\n'],
      ['b.yaml', 'services:\n  db:\n    healthcheck:\n      test: ["CMD", "true"]\n      start_period: 1500ms\n      start_interval: 1s\n      timeout: 1m\n'],
    ]));
    expect(p.services['db']!.healthcheck).toEqual({ test: ['CMD', 'true'], interval: '1m30s', retries: 5, start_period: '1.5s', start_interval: '1s', timeout: '1m0s' });
    expect(p.services['web']!.depends_on).toEqual({ db: { condition: 'service_healthy', required: true } });
    expect(p.services['off']!.healthcheck).toEqual({ disable: true });
    expect(renderProject(p)).toContain('    healthcheck:\n      interval: 1m30s\n      retries: 5\n      start_interval: 1s\n      start_period: 1.5s\n      test:\n        - CMD\n        - "true"\n      timeout: 1m0s\n');
    expect(containerHealthcheck(p.services['db']!.healthcheck!)).toEqual({ Test: ['CMD', 'true'], Interval: 90e9, Timeout: 60e9, StartPeriod: 1.5e9, StartInterval: 1e9, Retries: 5 });
    expect(containerHealthcheck({ disable: true })).toEqual({ Test: ['NONE'] });
    expect(containerHealthcheck({ test: ['CMD-SHELL', 'x'] })).toEqual({ Test: ['CMD-SHELL', 'x'] });
  });

  it('takes -p over name: over the folder, and filters by profile', () => {
    const f: Array<[string, string]> = [['c.yaml', 'name: top\nservices:\n  a: {image: x}\n  b: {image: x, profiles: [p]}\n']];
    expect(loadProject(opts(f)).name).toBe('top');
    expect(loadProject(opts(f, { projectName: 'cli' })).name).toBe('cli');
    expect(Object.keys(loadProject(opts(f)).services)).toEqual(['a']);
    expect(Object.keys(loadProject(opts(f, { profiles: ['p'] })).services)).toEqual(['a', 'b']);
    expect(() => loadProject(opts(f, { projectName: 'Bad!' }))).toThrow('invalid project name');
  });

  it.each([
    ['services:\n  a:\n    image: x\n    restart: sometimes\n', 'c.yaml:4: services.a.restart: invalid restart policy "sometimes"', 15],
    ['services:\n  a:\n    image: x\n    depends_on: [b]\n', 'c.yaml:4: services.a.depends_on.b: service "a" depends on undefined service "b"', 15],
    ['services:\n  a:\n    image: x\n    volumes: ["v:/d"]\n', 'c.yaml:4: services.a.volumes.0: service "a" refers to undefined volume v', 15],
    ['services:\n  a:\n    image: x\n    healthcheck:\n      test: [curl, x]\n', 'c.yaml:5: services.a.healthcheck.test: a list must start with NONE, CMD or CMD-SHELL', 15],
    ['services:\n  a:\n    image: x\n    healthcheck:\n      interval: 10\n', 'c.yaml:5: services.a.healthcheck.interval: must be a duration such as 10s or 1m30s', 15],
    ['services:\n  a:\n    image: x\n    healthcheck:\n      timeout: 5x\n', 'c.yaml:5: services.a.healthcheck.timeout: time: unknown unit "x" in duration "5x"', 15],
    ['services:\n  a:\n    image: x\n    healthcheck:\n      disable: true\n      test: "true"\n', "services.a.healthcheck: healthcheck.disable and healthcheck.test can't be set at the same time", 15],
    ['services:\n  a:\n    image: x\n    healthcheck:\n      retry: 3\n', 'c.yaml:5: services.a.healthcheck.retry: additional property retry is not allowed', 15],
    ['services:\n  a:\n    image: x\n    deploy:\n      placement: {}\n', 'c.yaml:5: services.a.deploy.placement: deploy.placement is a swarm key', 1],
    ['services:\n  a:\n    image: x\n    ports: ["nope"]\n', 'c.yaml:4: services.a.ports.0: invalid port "nope"', 15],
    ['services:\n  a:\n    build:\n      context: .\n      ssh: [default]\n', 'c.yaml:5: services.a.build.ssh: build.ssh is not supported', 1],
    ['services:\n  a: {image: x}\nsecrets: {}\n', 'c.yaml:3: secrets: top-level secrets are not supported yet', 1],
    ['services:\n  a: {image: x}\n  a: {image: y}\n', 'c.yaml:3: yaml: Map keys must be unique', 15],
    ['services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n', 'dependency cycle detected: a -> b -> a', 1],
  ])('refuses %j', (text, message, code) => {
    let e: unknown;
    try {
      loadProject(opts([['c.yaml', text]]));
    } catch (x) {
      e = x;
    }
    expect(TabdockError.is(e)).toBe(true);
    expect((e as TabdockError).message).toContain(message);
    expect((e as TabdockError).exitCode).toBe(code);
  });
});
