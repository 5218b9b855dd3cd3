// Health checks in the real guest (issues 18, 19; moby daemon/health.go): `--health-cmd`
// runs as an exec in the container, starting -> unhealthy -> healthy once the file it tests
// exists, seen by inspect, ps (STATUS and --filter health=) and events; a probe that
// outlives its timeout fails with Docker's words; a HEALTHCHECK from `docker build` runs;
// compose waits for service_healthy and `up -d --wait`, and fails on an unhealthy
// dependency. Short intervals (1s) keep the file quick. Traffic stays inside the guest.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let dir: string;
const streams: ChildProcessWithoutNullStreams[] = [];

async function ok(...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const inspect = async (name: string) => JSON.parse(await ok('inspect', name))[0] as { State: { Health?: { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number; Output: string; Start: string; End: string }> } }; Config: { Healthcheck?: unknown } };

/** `tabdock events` from now on, as lines; `next(text)` resolves at the first line containing it (the events stream, no polling). */
function events(...filters: string[]): { next(text: string, ms?: number): Promise<string>; lines: string[] } {
  const p = spawn(BIN, ['events', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Actor.Attributes.name}} {{.Action}}'], { env: { ...process.env, ...cli.env } });
  streams.push(p);
  const lines: string[] = [];
  const waiters: Array<{ text: string; resolve: (l: string) => void }> = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (line.includes(w.text)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  });
  return {
    lines,
    next: (text, ms = 150_000) => {
      const seen = lines.find((l) => l.includes(text));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no event "${text}" within ${ms} ms; saw: ${lines.join(' | ')}`)), ms);
        waiters.push({ text, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
  dir = mkdtempSync(join(tmpdir(), 'tabdock-health-'));
  // The events stream needs the daemon up before it subscribes.
  await ok('ps');
}, 300_000);

afterAll(async () => {
  for (const s of streams) s.kill();
  cli?.dispose();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('run --health-*', () => {
  it('goes starting -> unhealthy -> healthy after the file appears, in inspect, ps and events; a stop leaves it unhealthy', async () => {
    const ev = events('container=hc', 'container=hto', 'event=health_status', 'event=exec_create');
    await ok('run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '2', IMG, 'sleep', '600');
    // The timeout case runs beside it: a probe that sleeps past its 1s timeout.
    await ok('run', '-d', '--name', 'hto', '--health-cmd', 'echo slow; sleep 8', '--health-timeout', '3s', '--health-interval', '1s', '--health-retries', '1', IMG, 'sleep', '600');
    const first = await inspect('hc');
    expect(first.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1_000_000_000, Retries: 2 });
    // Two failures 1 s apart, each an exec in the guest: the first look comes before them.
    expect(first.State.Health?.Status).toBe('starting');

    await ev.next('hc health_status: unhealthy');
    const sick = await inspect('hc');
    expect(sick.State.Health).toMatchObject({ Status: 'unhealthy' });
    expect(sick.State.Health!.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(sick.State.Health!.Log.at(-1)).toMatchObject({ ExitCode: 1, Output: '' });
    expect(await ok('ps', '--filter', 'name=hc$', '--format', '{{.Status}}')).toMatch(/^Up .+ \(unhealthy\)\n$/);
    expect(await ok('ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}')).toContain('hc\n');
    expect(await ok('ps', '--filter', 'health=healthy', '--format', '{{.Names}}')).not.toContain('hc\n');

    await ok('exec', 'hc', 'sh', '-c', ': > /tmp/ok');
    await ev.next('hc health_status: healthy');
    const well = await inspect('hc');
    expect(well.State.Health).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(well.State.Health!.Log.length).toBeLessThanOrEqual(5);
    expect(well.State.Health!.Log.at(-1)!.ExitCode).toBe(0);
    expect(await ok('ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}')).toMatch(/^hc Up .+ \(healthy\)\n$/m);
    expect(await ok('ps', '--filter', 'health=none', '--format', '{{.Names}}')).not.toContain('hc');

    await ev.next('hto health_status: unhealthy');
    const slow = (await inspect('hto')).State.Health!;
    expect(slow.Log[0]!.ExitCode).toBe(-1);
    expect(slow.Log[0]!.Output).toMatch(/^Health check exceeded timeout \(3s\)(: slow\n)?$/);

    await ok('rm', '-f', 'hto');
    await ok('stop', '-t', '1', 'hc');
    expect((await inspect('hc')).State.Health?.Status).toBe('unhealthy');
    // moby's probes are execs: exec_create/exec_start events with the probe's command.
    expect(ev.lines).toContain('hc exec_create: /bin/sh -c test -f /tmp/ok');
    await ok('rm', 'hc');
  }, 400_000);

  it('refuses bad values as Docker does (125)', async () => {
    expect(await cli.run('run', '--no-healthcheck', '--health-cmd', 'true', IMG)).toMatchObject({ code: 125, stderr: expect.stringContaining('--no-healthcheck conflicts with --health-* options') });
    expect(await cli.run('run', '-d', '--health-interval', '1us', IMG)).toMatchObject({ code: 125, stderr: expect.stringContaining('Interval in Healthcheck cannot be less than 1ms') });
  });
});

describe('HEALTHCHECK from docker build, --no-healthcheck, commit --change', () => {
  it('runs the image health check; --no-healthcheck turns it off', async () => {
    const ctx = join(dir, 'ctx');
    rmSync(ctx, { recursive: true, force: true });
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${IMG}\nHEALTHCHECK --interval=1s --retries=1 CMD ["test", "-d", "/tmp"]\nCMD ["sleep", "600"]\n`);
    await ok('build', '-q', '-t', 'hcimg', ctx);
    const ev = events('container=built', 'event=health_status');
    await ok('run', '-d', '--name', 'built', 'hcimg');
    await ev.next('built health_status: healthy');
    expect((await inspect('built')).Config.Healthcheck).toEqual({ Test: ['CMD', 'test', '-d', '/tmp'], Interval: 1_000_000_000, Retries: 1 });

    await ok('run', '-d', '--name', 'off', '--no-healthcheck', 'hcimg');
    const off = await inspect('off');
    expect(off.Config.Healthcheck).toEqual({ Test: ['NONE'], Interval: 1_000_000_000, Retries: 1 });
    expect(off.State.Health).toBeUndefined();
    expect(await ok('ps', '--filter', 'name=off', '--format', '{{.Status}}')).toMatch(/^Up [^(]+\n$/);

    await ok('commit', '--change', 'HEALTHCHECK --interval=2s CMD true', 'off', 'hccommit');
    expect(JSON.parse(await ok('image', 'inspect', 'hccommit'))[0].Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000 });
    await ok('rm', '-f', 'built', 'off');
  }, 400_000);
});

describe('compose healthcheck', () => {
  it('up -d --wait waits for service_healthy, fails on an unhealthy dependency, down -v leaves nothing', async () => {
    const proj = join(dir, 'hcapp');
    mkdirSync(proj);
    writeFileSync(join(proj, 'compose.yaml'), [
      'services:',
      '  web:',
      `    image: ${IMG}`,
      '    command: ["sh", "-c", "sleep 2; : > /tmp/ready; exec sleep 600"]',
      '    healthcheck:',
      '      test: ["CMD", "test", "-f", "/tmp/ready"]',
      '      interval: 1s',
      '      retries: 30',
      '  client:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '    depends_on:',
      '      web: {condition: service_healthy}',
      '  bad:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '    profiles: [bad]',
      '    healthcheck:',
      '      test: exit 1',
      '      interval: 1s',
      '      retries: 1',
      '  after:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '    profiles: [bad]',
      '    depends_on:',
      '      bad: {condition: service_healthy}',
      '',
    ].join('\n'));
    const f = join(proj, 'compose.yaml');
    const up = await cli.run('compose', '-f', f, 'up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('Container hcapp-web-1  Healthy');
    expect((await inspect('hcapp-web-1')).State.Health?.Status).toBe('healthy');
    expect(await ok('ps', '--filter', 'name=hcapp-client-1', '--format', '{{.Status}}')).toMatch(/^Up /);
    // The model keeps the check (a string test is CMD-SHELL), as `config` prints it.
    expect(await ok('compose', '-f', f, '--profile', 'bad', 'config')).toContain('    healthcheck:\n      interval: 1s\n      retries: 1\n      test:\n        - CMD-SHELL\n        - exit 1\n');

    const bad = await cli.run('compose', '-f', f, '--profile', 'bad', 'up', '-d', 'after');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('dependency failed to start: container hcapp-bad-1 is unhealthy');
    expect(await ok('ps', '-a', '--filter', 'name=hcapp-after', '--format', '{{.Names}}')).toBe('');

    await ok('compose', '-f', f, '--profile', 'bad', 'down', '-v');
    expect(await ok('ps', '-a', '--filter', 'label=com.docker.compose.project=hcapp', '--format', '{{.Names}}')).toBe('');
  }, 400_000);

  it('starts a service that waits on nothing while another waits for its dependency to be healthy', async () => {
    const proj = join(dir, 'sideapp');
    mkdirSync(proj);
    // web is healthy only once the test makes /tmp/ready; client waits for that, side for nothing.
    writeFileSync(join(proj, 'compose.yaml'), [
      'services:',
      '  web:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '    healthcheck:',
      '      test: ["CMD", "test", "-f", "/tmp/ready"]',
      '      interval: 1s',
      '      retries: 100',
      '  client:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '    depends_on:',
      '      web: {condition: service_healthy}',
      '  side:',
      `    image: ${IMG}`,
      '    command: ["sleep", "600"]',
      '',
    ].join('\n'));
    const f = join(proj, 'compose.yaml');
    const ev = events('label=com.docker.compose.project=sideapp', 'event=start');
    const up = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(BIN, ['compose', '-f', f, 'up', '-d'], { env: { ...process.env, ...cli.env } });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('exit', (code) => resolve({ code, stderr }));
    });
    // side starts while up still waits on web's health (compose starts in dependency order, not one by one).
    await ev.next('sideapp-side-1 start');
    expect(ev.lines.some((l) => l.includes('sideapp-client-1'))).toBe(false);
    expect((await inspect('sideapp-web-1')).State.Health?.Status).toBe('starting');
    await ok('exec', 'sideapp-web-1', 'sh', '-c', ': > /tmp/ready');
    const r = await up;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Container sideapp-web-1  Healthy');
    expect(await ok('ps', '--filter', 'name=sideapp-client-1', '--format', '{{.Status}}')).toMatch(/^Up /);
    await ok('compose', '-f', f, 'down', '-t', '0');
  }, 400_000);
});
