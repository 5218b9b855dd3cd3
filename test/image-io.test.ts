// Making images and moving them (issue 15, image half): `commit`, `push`, `save`/`load`,
// `export`/`import`, end to end as a user types them: a real registry on loopback, the real
// guest, and skopeo/umoci reading what tabdock wrote. One daemon for the whole file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

const ok = async (...args: string[]) => {
  const r = await cli.run(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

describe('commit', () => {
  it('makes an image of the container\'s changes (deletions included) that runs, with -c/-m/-a in its config and history', async () => {
    await ok('run', '--name', 'c1', '-e', 'FROM_RUN=1', IMG, 'sh', '-c', 'echo hi > /new && mkdir /d && rm /etc/group');
    const out = await ok('commit', '-a', 'Ann <a@example.test>', '-m', 'first', '-c', 'CMD ["cat", "/new"]', '-c', 'ENV A=b C="d e"', '-c', 'EXPOSE 80', '-c', 'LABEL x=y', '-c', 'WORKDIR /d', 'c1', 'committed:v1');
    expect(out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await ok('run', '--rm', 'committed:v1')).toBe('hi\n');
    expect(await ok('run', '--rm', 'committed:v1', 'sh', '-c', 'pwd; [ -e /etc/group ] || echo no group; echo $A $C $FROM_RUN')).toBe('/d\nno group\nb d e 1\n');
    const [img] = JSON.parse(await ok('image', 'inspect', 'committed:v1')) as { Id: string; Author: string; Comment: string; Config: Record<string, unknown>; RootFS: { Layers: string[] } }[];
    expect(img!.Id).toBe(out.trim());
    expect(img!.Author).toBe('Ann <a@example.test>');
    expect(img!.Config).toMatchObject({ Cmd: ['cat', '/new'], WorkingDir: '/d', ExposedPorts: { '80/tcp': {} }, Labels: { 'org.tabdock.fixture': 'busybox', x: 'y' } });
    expect(img!.Config['Env']).toEqual(expect.arrayContaining(['FROM_RUN=1', 'A=b', 'C=d e']));
    expect(img!.RootFS.Layers).toHaveLength(2);
    const hist = await ok('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:v1');
    expect(hist.split('\n')[0]).toBe('sh -c echo hi > /new && mkdir /d && rm /etc/group|first');
  }, 240_000);

  it('refuses a change Docker refuses, and makes nothing', async () => {
    const before = await ok('images', '-q');
    const r = await cli.run('commit', '-c', 'RUN true', 'c1', 'bad:x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('run is not a valid change command');
    expect(await ok('images', '-q')).toBe(before);
  }, 120_000);
});
