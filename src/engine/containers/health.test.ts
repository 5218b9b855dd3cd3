// The health monitor over a fake runtime whose probes (execs) end when the test says so:
// the probe's command and user, the status it saves and announces, its timeout, and that
// it stops with the container. The real guest is test/healthcheck.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../events.ts';
import { dir, engineKit, file, runOptions, type EngineKit } from '../test-helpers.ts';
import { FakeRuntime, fakeRegistration, type FakeProcess } from './fake-runtime.ts';
import type { HealthState } from '../spec/healthcheck.ts';

let kit: EngineKit;
let rt: FakeRuntime;
let events: EngineEvent[];

beforeEach(async () => {
  rt = new FakeRuntime();
  kit = await engineKit([fakeRegistration(rt)]);
  await kit.image('base', [await kit.layer([dir('etc'), file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n')])]);
  events = [];
  kit.engine.onEvent((e) => events.push(e));
});
afterEach(async () => kit.cleanup());

async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 10_000; !(await cond()); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error('condition not met');
}

const health = async (id: string) => ((await kit.engine.inspectContainer(id))['State'] as { Health?: HealthState }).Health;
const statuses = () => events.flatMap((e) => (e.type === 'container' && e.action === 'health_status' ? [e.status] : []));

/** The n-th probe, once the monitor has started it. */
async function probe(n: number): Promise<FakeProcess> {
  await until(() => rt.execs.length > n);
  return rt.execs[n]!;
}

async function run(flags: Record<string, string | boolean | string[]>): Promise<string> {
  const { Id } = await kit.engine.createContainer({ image: 'base', options: runOptions({ user: 'app', workdir: '/srv', ...flags }, ['base', 'sleep', '1000']) });
  await kit.engine.startContainer(Id);
  return Id;
}

describe('health monitor (fake runtime)', () => {
  it('probes as an exec, goes unhealthy after its retries and healthy at a success, saves and announces each change', async () => {
    const id = await run({ 'health-cmd': 'check it', 'health-interval': '5ms', 'health-retries': '2' });
    expect(await health(id)).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
    const first = await probe(0);
    expect(first.req).toMatchObject({ args: ['/bin/sh', '-c', 'check it'], user: '1000:1000', cwd: '/srv', tty: false });
    expect(first.stdinClosed).toBe(true);
    first.print('not yet\n');
    first.end(1);
    (await probe(1)).end(3);
    await until(async () => (await health(id))?.Status === 'unhealthy');
    const sick = (await health(id))!;
    expect(sick.FailingStreak).toBe(2);
    expect(sick.Log.map((l) => [l.ExitCode, l.Output])).toEqual([[1, 'not yet\n'], [3, '']]);
    (await probe(2)).end(0);
    await until(async () => (await health(id))?.Status === 'healthy');
    // The event follows the saved state (moby saves, then logs the event): wait for it too.
    await until(() => statuses().length === 2);
    expect(statuses()).toEqual(['unhealthy', 'healthy']);
    expect(events.some((e) => e.type === 'container' && e.action === 'exec_create' && e.command.join(' ') === '/bin/sh -c check it')).toBe(true);
  });

  it('fails a probe past its timeout with exit -1 and Docker\'s words, killing it', async () => {
    const id = await run({ 'health-cmd': 'slow', 'health-interval': '5ms', 'health-timeout': '30ms', 'health-retries': '1' });
    const p = await probe(0);
    p.print('partial');
    await until(async () => (await health(id))?.Status === 'unhealthy');
    expect(p.signals).toContain(9);
    expect((await health(id))!.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (30ms): partial' });
  });

  it('stops with the container (status unhealthy, no probe after), starts again with it (starting, log kept)', async () => {
    const id = await run({ 'health-cmd': 'ok', 'health-interval': '5ms' });
    (await probe(0)).end(0);
    await until(async () => (await health(id))?.Status === 'healthy');
    const pending = await probe(1);
    rt.last.end(0);
    await until(async () => !(await kit.engine.inspectContainer(id) as { State: { Running: boolean } }).State.Running);
    expect(pending.signals).toContain(9);
    const stopped = (await health(id))!;
    expect(stopped.Status).toBe('unhealthy');
    const probes = rt.execs.length;
    // Absence of probes over ten intervals (a stopped monitor has no timer left).
    await new Promise((r) => setTimeout(r, 50));
    expect(rt.execs.length).toBe(probes);
    await kit.engine.startContainer(id);
    expect(await health(id)).toEqual({ Status: 'starting', FailingStreak: 0, Log: stopped.Log });
  });

  it('runs nothing for --no-healthcheck (no State.Health)', async () => {
    const id = await run({ 'no-healthcheck': true });
    expect(await health(id)).toBeUndefined();
    expect(((await kit.engine.inspectContainer(id))['Config'] as { Healthcheck?: unknown }).Healthcheck).toEqual({ Test: ['NONE'] });
    expect(rt.execs).toHaveLength(0);
  });
});
