// The rest of docker compose's commands through the `tabdock` CLI (issue 18), on one project
// reused from case to case: up --build and build, exec by service name, run --rm and run -d
// one-offs, port (reached on loopback), images, ls, top, pull and push against the loopback
// registry, the orphan warning and --remove-orphans, down --rmi local leaving no image; then
// an attached `up` that ends when its services exit, and one that Ctrl-C stops.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let dir: string;

async function ok(...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
  dir = mkdtempSync(join(tmpdir(), 'tabdock-compose-cmds-'));
  mkdirSync(join(dir, 'appctx'));
  file('appctx/Dockerfile', `FROM ${IMG}\nRUN echo built > /msg\n`);
}, 300_000);

afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const project = (withExtra: boolean) => [
  'name: cmds',
  'services:',
  '  web:',
  `    image: ${IMG}`,
  '    command: sh -c "mkdir -p /www && echo pong > /www/ping && exec httpd -f -p 80 -h /www"',
  '    ports: ["127.0.0.1::80"]',
  '  app:',
  '    build: ./appctx',
  '    depends_on: [web]',
  '    environment: {WHO: app}',
  '    command: ["sleep", "600"]',
  '  pushme:',
  '    build: ./appctx',
  `    image: ${reg.host}/pushed:1`,
  '    profiles: [push]',
  ...(withExtra ? ['  extra:', `    image: ${IMG}`, '    command: ["sleep", "600"]'] : []),
  '',
].join('\n');

describe('compose exec, run, build, port, images, ls, top, pull, push, down --rmi', () => {
  it('runs a project through the rest of the commands and leaves nothing behind', async () => {
    const f = file('compose.yaml', project(true));
    const c = (...args: string[]) => cli.run('compose', '-f', f, ...args);

    // up --build: the service without image: is built and tagged <project>-<service>.
    const up = await c('up', '-d', '--build');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(' Container cmds-app-1  Started');
    expect(await ok('images', '--format', '{{.Repository}}:{{.Tag}}', 'cmds-app')).toBe('cmds-app:latest\n');

    // exec by service name: output, exit status, -T, -e, -w; --index of a replica that is not there.
    const e = await c('exec', '-T', '-e', 'A=1', '-w', '/tmp', 'app', 'sh', '-c', 'echo $WHO $(cat /msg) $A; pwd; exit 3');
    expect(e.code, e.stderr).toBe(3);
    expect(e.stdout).toBe('app built 1\n/tmp\n');
    const idx = await c('exec', '--index', '2', 'web', 'true');
    expect(idx.code).toBe(1);
    expect(idx.stderr).toContain('service "web" is not running container #2');

    // run --rm: a one-off (its own hostname), its status passed on, gone after; its dependency left running.
    const once = await c('run', '--rm', '-e', 'X=42', 'app', 'sh', '-c', 'echo one-off $X $WHO $(hostname); exit 7');
    expect(once.code, once.stderr).toBe(7);
    expect(once.stderr).toContain(' Container cmds-web-1  Running');
    expect(once.stdout).toMatch(/^one-off 42 app [0-9a-f]{12}\n$/);
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.oneoff=True', '-q')).toBe('');
    // run -d: prints the ID; the container keeps compose's one-off name and labels.
    const bg = (await ok('compose', '-f', f, 'run', '-d', '--entrypoint', 'sleep', 'app', '300')).trim();
    expect(bg).toMatch(/^[0-9a-f]{64}$/);
    expect(await ok('inspect', '-f', '{{.Name}} {{index .Config.Labels "com.docker.compose.oneoff"}} {{json .Config.Cmd}}', bg)).toMatch(/^\/cmds-app-run-[0-9a-f]{12} True \["300"\]\n$/);

    // port: the published port, reached on loopback.
    const where = (await ok('compose', '-f', f, 'port', 'web', '80')).trim();
    expect(where).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`http://${where}/ping`)).text()).toBe('pong\n');
    const noPort = await c('port', 'web', '81');
    expect(noPort.code).toBe(1);
    expect(noPort.stderr).toContain('no port 81/tcp for container cmds-web-1: 80/tcp');

    // images: one row per container, compose's columns.
    const imgs = (await ok('compose', '-f', f, 'images')).split('\n');
    expect(imgs[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+PLATFORM\s+IMAGE ID\s+SIZE\s+CREATED$/);
    expect(imgs.find((l) => l.startsWith('cmds-app-1 '))).toMatch(/^cmds-app-1\s+cmds-app\s+latest\s+linux\/386\s+[0-9a-f]{12}\s+\S+\s+.* ago$/);
    expect(imgs.find((l) => l.startsWith('cmds-web-1 '))).toContain(`${reg.host}/busybox`);

    // ls: the project from its containers' labels (the one-off counted as compose counts it).
    const ls = await ok('compose', 'ls');
    expect(ls.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+CONFIG FILES$/);
    expect(ls).toMatch(new RegExp(`\\ncmds\\s+running\\(4\\)\\s+${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    expect(await ok('compose', 'ls', '-q')).toBe('cmds\n');

    // top: SERVICE and # first, CMD last.
    const top = (await ok('compose', '-f', f, 'top', 'web', 'app')).split('\n');
    expect(top[0]).toMatch(/^SERVICE\s+#\s+UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(top.some((l) => /^web\s+1\s+.*httpd -f -p 80 -h \/www$/.test(l))).toBe(true);
    expect(top.some((l) => /^app\s+1\s+.*sleep 600$/.test(l))).toBe(true);

    // pull what has an image; push what is built and named (the loopback registry).
    const pull = await c('pull', 'web');
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toContain(' Service web  Pulled');
    expect((await cli.run('compose', '-f', f, '--profile', 'push', 'build', 'pushme')).code).toBe(0);
    const push = await cli.run('compose', '-f', f, '--profile', 'push', 'push');
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toContain(' Service web  Skipped');
    expect(await (await fetch(`${reg.url}/v2/pushed/tags/list`)).json()).toEqual({ name: 'pushed', tags: ['1'] });

    // A service taken out of the file: up warns about its container, --remove-orphans removes it.
    file('compose.yaml', project(false));
    const warn = await c('up', '-d');
    expect(warn.code, warn.stderr).toBe(0);
    expect(warn.stderr).toContain('WARN[0000] Found orphan containers ([cmds-extra-1]) for this project.');
    const rmo = await c('up', '-d', '--remove-orphans');
    expect(rmo.stderr).toContain(' Container cmds-extra-1  Removed');
    expect(rmo.stderr).not.toContain('Found orphan');

    // down leaves one-off containers, and so their network, unless --remove-orphans (compose's warning, not a failure).
    const keep = await c('down', '-t', '1');
    expect(keep.code, keep.stderr).toBe(0);
    expect(keep.stderr).toContain(' Network cmds_default  Resource is still in use');
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.project=cmds', '--format', '{{.Names}}')).toMatch(/^cmds-app-run-[0-9a-f]{12}\n$/);
    // down --rmi local --remove-orphans: the one-off, the network and the built image go; image: ones stay.
    const down = await c('down', '-t', '1', '--rmi', 'local', '--remove-orphans');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(' Image cmds-app  Removed');
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.project=cmds', '-q')).toBe('');
    expect(await ok('images', '-q', 'cmds-app')).toBe('');
    expect((await cli.run('image', 'inspect', IMG)).code).toBe(0);
    expect(await ok('network', 'ls', '--format', '{{.Name}}')).not.toContain('cmds_');
    expect((await c('down', '--rmi', 'some')).stderr).toContain('invalid value for --rmi: "some"');
  }, 600_000);
});

describe('compose up, attached', () => {
  it('follows the services, prefixed, until they all exit', async () => {
    const f = file('att.yaml', [
      'name: att',
      'services:',
      '  first:',
      `    image: ${IMG}`,
      '    command: ["sh", "-c", "echo hello from first; echo to stderr >&2"]',
      '  second:',
      `    image: ${IMG}`,
      '    command: ["sh", "-c", "sleep 1; echo bye; exit 3"]',
      '',
    ].join('\n'));
    const r = await cli.run('compose', '-f', f, 'up');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Attaching to first-1, second-1');
    expect(r.stdout).toContain('first-1   | hello from first\n');
    expect(r.stdout).toContain('second-1  | bye\n');
    expect(r.stdout).toContain('first-1 exited with code 0\n');
    expect(r.stdout).toContain('second-1 exited with code 3\n');
    expect(r.stderr).toContain('first-1   | to stderr\n');
    // ls: a project whose containers have all exited only with -a.
    expect(await ok('compose', 'ls', '-q')).not.toContain('att');
    expect(await ok('compose', 'ls', '-a')).toMatch(/\natt\s+exited\(2\)\s+\S*att\.yaml\n/);
    expect((await cli.run('compose', '-f', f, 'down')).code).toBe(0);
  }, 300_000);

  it('stops the services on Ctrl-C, as compose does', async () => {
    const f = file('int.yaml', ['name: int', 'services:', '  long:', `    image: ${IMG}`, '    init: true', '    command: ["sh", "-c", "echo started; exec sleep 600"]', ''].join('\n'));
    const p = spawn(BIN, ['compose', '-f', f, 'up'], { env: { ...process.env, ...cli.env } });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number>((res) => p.on('close', (code, sig) => res(code ?? (sig ? -1 : -2))));
    const saw = new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('long-1  | started')) res();
    }));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await Promise.race([saw, exited]);
    p.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('Gracefully stopping... (press Ctrl+C again to force)\n');
    expect(stderr).toContain(' Container int-long-1  Stopped');
    expect(stdout).toMatch(/long-1 exited with code (0|130|143)\n/);
    expect(await ok('ps', '-q', '--filter', 'label=com.docker.compose.project=int')).toBe('');
    expect((await cli.run('compose', '-f', f, 'down')).code).toBe(0);
  }, 300_000);
});
