// docker compose end to end through the `tabdock` CLI (issue 18): a two-service app whose
// client reaches its server BY SERVICE NAME on the project network, brought up -d, listed,
// its logs read, brought down -v leaving nothing; `config` interpolation and the merge of
// two files; an invalid file naming its key and line. Traffic stays inside the guest.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

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
  dir = join(mkdtempSync(join(tmpdir(), 'tabdock-compose-')), 'My.App');
  mkdirSync(dir);
}, 300_000);

afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe('compose config', () => {
  it('interpolates from the environment and .env, and merges a second file as Compose does', async () => {
    file('.env', 'TAG_IMG=from-dotenv\nPORT=8080\n');
    const base = file('compose.yaml', [
      'services:',
      '  web:',
      '    image: ${TAG_IMG}',
      '    command: ["sh", "-c", "echo $$HOME ${GREETING:-hello}"]',
      '    environment: [A=1, B=2]',
      '    ports: ["${PORT}:80"]',
      '    labels: {tier: front}',
      '  extra:',
      '    image: busybox',
      '    profiles: [debug]',
      '',
    ].join('\n'));
    const over = file('override.yaml', [
      'services:',
      '  web:',
      '    command: echo replaced',
      '    environment: {B: "3", C: "${NEEDED:?set NEEDED}"}',
      '    ports: ["9090:90"]',
      '',
    ].join('\n'));
    const missing = await cli.run('compose', '-f', base, '-f', over, 'config');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('override.yaml:4: services.web.environment.C: required variable NEEDED is missing a value: set NEEDED');
    cli.env['NEEDED'] = 'set';
    cli.env['TAG_IMG'] = 'from-shell';
    try {
      const out = await ok('compose', '-f', base, '-f', over, 'config');
      expect(out).toBe([
        'name: myapp',
        'services:',
        '  web:',
        '    command:',
        '      - echo',
        '      - replaced',
        '    environment:',
        '      A: "1"',
        '      B: "3"',
        '      C: set',
        '    image: from-shell',
        '    labels:',
        '      tier: front',
        '    networks:',
        '      default: null',
        '    ports:',
        '      - mode: ingress',
        '        protocol: tcp',
        '        published: "8080"',
        '        target: 80',
        '      - mode: ingress',
        '        protocol: tcp',
        '        published: "9090"',
        '        target: 90',
        'networks:',
        '  default:',
        '    name: myapp_default',
        '',
      ].join('\n'));
      const prof = await ok('compose', '-f', base, '-f', over, '-p', 'other', '--profile', 'debug', 'config', '--services');
      expect(prof).toBe('extra\nweb\n');
    } finally {
      delete cli.env['NEEDED'];
      delete cli.env['TAG_IMG'];
    }
  });

  it('names the key and line of an invalid file, and refuses what it does not run', async () => {
    const bad = file('bad.yaml', 'services:\n  web:\n    image: busybox\n    portz: ["80"]\n');
    const r = await cli.run('compose', '-f', bad, 'config');
    expect(r.code).toBe(15);
    expect(r.stderr).toBe(`${bad}:4: services.web.portz: additional property portz is not allowed\n`);
    const ext = file('ext.yaml', 'services:\n  web:\n    image: busybox\n    extends:\n      service: base\n');
    const h = await cli.run('compose', '-f', ext, 'config');
    expect(h.code).toBe(1);
    expect(h.stderr).toContain(`${ext}:4: services.web.extends: extends is not supported yet`);
    const bind = file('bind.yaml', 'services:\n  web:\n    image: busybox\n    volumes:\n      - ./src:/src\n');
    const b = await cli.run('compose', '-f', bind, 'config');
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`${bind}:5: services.web.volumes.0: bind mounts of host paths`);
  });
});

describe('compose up -d / ps / logs / down -v', () => {
  it('runs a server and a client that reaches it by service name, and leaves nothing behind', async () => {
    const app = file('app.yaml', [
      'name: shop',
      'services:',
      '  api:',
      `    image: ${IMG}`,
      '    command: sh -c "mkdir -p /www && echo pong-$$GREETING > /www/ping && exec httpd -f -p 80 -h /www"',
      '    environment:',
      '      GREETING: ${GREETING:-hi}',
      '    volumes: [data:/data, /scratch]',
      '    networks:',
      '      back: {aliases: [backend]}',
      '  client:',
      `    image: ${IMG}`,
      '    depends_on: [api]',
      '    networks: [back]',
      '    command: ["sh", "-c", "until wget -qO- http://api/ping; do sleep 0.2; done; wget -qO- http://backend/ping; exec sleep 600"]',
      'networks:',
      '  back: {}',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n'));
    const up = await cli.run('compose', '-f', app, 'up', '-d');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(' Network shop_back  Created');
    expect(up.stderr).toContain(' Volume shop_data  Created');
    expect(up.stderr.indexOf('Container shop-api-1  Started')).toBeLessThan(up.stderr.indexOf('Container shop-client-1  Started'));

    const ps = await ok('compose', '-f', app, 'ps');
    expect(ps.split('\n')[0]).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    expect(ps).toMatch(/shop-api-1 .* api .* Up /);
    expect(ps).toMatch(/shop-client-1 .* client .* Up /);
    const labels = JSON.parse(await ok('inspect', '-f', '{{json .Config.Labels}}', 'shop-api-1')) as Record<string, string>;
    expect(labels).toMatchObject({ 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api', 'com.docker.compose.container-number': '1', 'com.docker.compose.oneoff': 'False' });
    expect(labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);

    // The client fetched by service name and by alias: its log, prefixed as compose prefixes it.
    let logs = '';
    const until = Date.now() + 120_000;
    while (!(logs.match(/pong-hi/g)?.length === 2) && Date.now() < until) logs = await ok('compose', '-f', app, 'logs', 'client');
    expect(logs).toBe('client-1  | pong-hi\nclient-1  | pong-hi\n');
    expect(await ok('compose', '-f', app, 'logs', '--tail', '1', 'client')).toBe('client-1  | pong-hi\n');

    // Again with nothing changed: both left running (same config hash, same container).
    const idBefore = (await ok('inspect', '-f', '{{.Id}}', 'shop-api-1')).trim();
    const again = await ok('compose', '-f', app, 'up', '-d').then(() => cli.run('compose', '-f', app, 'up', '-d'));
    expect(again.stderr).toContain(' Container shop-api-1  Running');
    expect((await ok('inspect', '-f', '{{.Id}}', 'shop-api-1')).trim()).toBe(idBefore);

    const down = await cli.run('compose', '-f', app, 'down', '-v', '-t', '1');
    expect(down.code, down.stderr).toBe(0);
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.project=shop', '-q')).toBe('');
    expect(await ok('network', 'ls', '--format', '{{.Name}}')).not.toContain('shop_');
    expect(await ok('volume', 'ls', '-q')).toBe('');
  }, 600_000);

  it('builds a service, runs replicas after a one-shot dependency completed, and recreates what changed', async () => {
    mkdirSync(join(dir, 'appctx'));
    file('appctx/Dockerfile', `FROM ${IMG}\nARG MSG\nRUN echo "$MSG" > /msg\n`);
    const text = (replicas: number, tag: string) => [
      'name: mk',
      'services:',
      '  init:',
      `    image: ${IMG}`,
      '    command: ["sh", "-c", "echo init done"]',
      '  app:',
      '    build: {context: ./appctx, args: {MSG: built}}',
      `    deploy: {replicas: ${replicas}}`,
      '    depends_on: {init: {condition: service_completed_successfully}}',
      `    environment: {TAG: ${tag}}`,
      '    command: ["sh", "-c", "echo $$(cat /msg) $$TAG; exec sleep 600"]',
      '',
    ].join('\n');
    const app = file('mk.yaml', text(2, 'one'));
    const up = await cli.run('compose', '-f', app, 'up', '-d');
    expect(up.code, up.stderr).toBe(0);
    expect(await ok('images', '--format', '{{.Repository}}', 'mk-app')).toBe('mk-app\n');
    const ps = await ok('compose', '-f', app, 'ps');
    expect(ps).toMatch(/mk-app-1 .* app /);
    expect(ps).toMatch(/mk-app-2 .* app /);
    expect(ps).not.toContain('mk-init-1'); // exited: only with -a
    expect(await ok('compose', '-f', app, 'ps', '-a')).toMatch(/mk-init-1 .* init .* Exited \(0\)/);
    let logs = '';
    const until = Date.now() + 60_000;
    while (logs.split('\n').length < 3 && Date.now() < until) logs = await ok('compose', '-f', app, 'logs', 'app');
    expect(logs).toBe('app-1  | built one\napp-2  | built one\n');

    // One replica and a changed environment: app-2 goes, app-1 is made again.
    const id1 = (await ok('inspect', '-f', '{{.Id}}', 'mk-app-1')).trim();
    file('mk.yaml', text(1, 'two'));
    const again = await cli.run('compose', '-f', app, 'up', '-d');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(' Container mk-app-2  Removed');
    expect(again.stderr).toContain(' Container mk-app-1  Recreated');
    expect((await ok('inspect', '-f', '{{.Id}}', 'mk-app-1')).trim()).not.toBe(id1);
    expect((await ok('inspect', '-f', '{{json .Config.Env}}', 'mk-app-1'))).toContain('"TAG=two"');

    // --force-recreate makes app-1 again though nothing changed; --no-deps leaves the
    // one-shot init (exited) alone where up would start it again.
    const id2 = (await ok('inspect', '-f', '{{.Id}}', 'mk-app-1')).trim();
    const forced = await cli.run('compose', '-f', app, 'up', '-d', '--force-recreate', '--no-deps', 'app');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(' Container mk-app-1  Recreated');
    expect(forced.stderr).not.toContain('mk-init-1');
    expect((await ok('inspect', '-f', '{{.Id}}', 'mk-app-1')).trim()).not.toBe(id2);
    expect(await ok('compose', '-f', app, 'ps', '-a')).toMatch(/mk-init-1 .* Exited \(0\)/);

    // stop / start / kill / rm over the project's containers.
    expect((await cli.run('compose', '-f', app, 'stop', '-t', '1', 'app')).stderr).toContain(' Container mk-app-1  Stopped');
    expect(await ok('compose', '-f', app, 'ps', '-q')).toBe('');
    expect((await cli.run('compose', '-f', app, 'start', 'app')).stderr).toContain(' Container mk-app-1  Started');
    expect(await ok('compose', '-f', app, 'ps')).toMatch(/mk-app-1 .* Up /);
    expect((await cli.run('compose', '-f', app, 'rm')).code).toBe(1); // no terminal to ask: -f needed
    const rm = await cli.run('compose', '-f', app, 'rm', '-f', 'init');
    expect(rm.stderr).toBe(' Container mk-init-1  Removed\n');
    expect((await cli.run('compose', '-f', app, 'kill', 'app')).stderr).toContain(' Container mk-app-1  Killed');
    expect(await ok('wait', 'mk-app-1')).toBe('137\n'); // kill sends the signal; the exit comes after
    expect(await ok('compose', '-f', app, 'ps', '-a')).toMatch(/mk-app-1 .* Exited \(137\)/);

    // `-p NAME down` where there is no compose file (the test's working directory has none):
    // the project as its labels say, as the page's containers panel runs it.
    const byName = await cli.run('compose', '-p', 'mk', 'down', '-v', '--rmi', 'local');
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stderr).toContain(' Container mk-app-1  Removed');
    expect(byName.stderr).toContain(' Network mk_default  Removed');
    expect(byName.stderr).toContain(' Image mk-app  Removed');
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.project=mk', '-q')).toBe('');
    expect(await ok('network', 'ls', '--format', '{{.Name}}')).not.toContain('mk_');
    expect(await ok('images', '-q', 'mk-app')).toBe('');
    expect(await cli.run('compose', '-p', 'mk', 'down')).toEqual({ code: 0, stdout: '', stderr: 'Warning: No resource found to remove for project "mk".\n' });
  }, 600_000);
});

