// The container lifecycle over a fake runtime whose processes end when the test says so:
// the races of create/start/stop/kill/rm set up exactly. The real runtimes are covered by
// the guest and WASI tests in test/.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TabdockError } from '../../shared/errors.ts';
import { dir, engineKit, file, runOptions, type EngineKit } from '../test-helpers.ts';
import { FakeRuntime, fakeRegistration } from './fake-runtime.ts';

let kit: EngineKit;
let rt: FakeRuntime;
let opened = 0;

beforeEach(async () => {
  rt = new FakeRuntime();
  opened = 0;
  const reg = fakeRegistration(rt);
  kit = await engineKit([{ ...reg, open: (env) => (opened++, reg.open(env)) }]);
  await kit.image('base', [await kit.layer([dir('etc'), file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'), dir('seed'), file('seed/hello', 'from the image\n')])]);
});
afterEach(async () => kit.cleanup());

async function create(flags: Record<string, string | boolean | string[]> = {}, args: string[] = ['sleep', '1000']): Promise<string> {
  return (await kit.engine.createContainer({ image: 'base', options: runOptions(flags, ['base', ...args]) })).Id;
}

/** Waits for a condition the engine reaches on its own (generous deadline, no fixed sleep). */
async function until(cond: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !cond(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error('condition not met');
}

async function state(id: string): Promise<{ Status: string; Running: boolean; ExitCode: number; Error: string }> {
  return (await kit.engine.inspectContainer(id))['State'] as never;
}

describe('container lifecycle (fake runtime)', () => {
  it('makes the runtime on the first start only, and hands it the tree with its working directory made', async () => {
    const id = await create({ workdir: '/work/here' });
    expect(opened).toBe(0);
    await kit.engine.startContainer(id);
    expect(opened).toBe(1);
    const req = rt.last.req as { rootfs: unknown; volumes: unknown[] };
    expect(req.rootfs).toBe(await kit.engine.filesystems.tree({ Id: id, Image: (await kit.engine.containers.store.find(id)).Image }));
    expect((await kit.engine.statContainerPath(id, '/work/here'))?.kind).toBe('d');
    rt.last.end(0);
    expect((await kit.engine.waitContainer(id)).StatusCode).toBe(0);
    expect(await state(id)).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0 });
  });

  it('fills a new volume from the image at its mount point, and hands its tree over', async () => {
    const id = await create({ volume: ['data:/seed'] });
    await kit.engine.startContainer(id);
    const vols = (rt.last.req as { volumes: { name: string }[] }).volumes;
    expect(vols.map((v) => v.name)).toEqual(['data']);
    const entries: string[] = [];
    const v = await kit.engine.volumes.tree('data');
    for (const [name] of v.readdir(v.root)) entries.push(name);
    expect(entries).toEqual(['hello']);
  });

  it('a detached exec stops delivering its output; a listener that throws costs only its own output', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    let got = '';
    const h = await kit.engine.execContainer(id, { args: ['sh'] }, (c) => void (got += new TextDecoder().decode(c)));
    const proc = rt.execs.at(-1)!;
    proc.print('one\n');
    await h.detach();
    proc.print('two\n');
    expect(got).toBe('one\n');
    // An attachment whose consumer is gone (a released page proxy throws) beside a live one.
    let live = '';
    await kit.engine.attachContainer(id, () => {
      throw new Error('Proxy has been released');
    });
    await kit.engine.attachContainer(id, (c) => void (live += new TextDecoder().decode(c)));
    rt.started.at(-1)!.print('still here\n');
    expect(live).toBe('still here\n');
    let logs = '';
    rt.started.at(-1)!.end(0);
    await kit.engine.waitContainer(id);
    await kit.engine.containerLogs(id, {}, (_s, d) => void (logs += new TextDecoder().decode(d)));
    expect(logs).toBe('still here\n');
  });

  it('starts once when two starts come at once', async () => {
    const id = await create();
    await Promise.all([kit.engine.startContainer(id), kit.engine.startContainer(id)]);
    expect(rt.started).toHaveLength(1);
    await kit.engine.startContainer(id); // running: a no-op, as Docker's
    expect(rt.started).toHaveLength(1);
  });

  it('rm -f while the start is under way waits for it, then kills and removes', async () => {
    const id = await create();
    const held = rt.hold();
    const starting = kit.engine.startContainer(id);
    await held.entered;
    // Seen from outside: once rm has found the container (and a turn later), it must still
    // be waiting for the start, not removing the tree under it.
    const { store } = kit.engine.containers;
    const find = store.find.bind(store);
    let found!: () => void;
    const rmFound = new Promise<void>((r) => (found = r));
    store.find = async (ref) => {
      const c = await find(ref);
      found();
      return c;
    };
    let treesRemoved = 0;
    const fss = kit.engine.filesystems;
    const removeTree = fss.remove.bind(fss);
    fss.remove = async (c) => (treesRemoved++, removeTree(c));
    const removing = kit.engine.removeContainer(id, { force: true });
    await rmFound;
    await new Promise((r) => setImmediate(r));
    expect(treesRemoved).toBe(0);
    held.release();
    await starting;
    expect(await removing).toBe(id);
    expect(rt.started).toHaveLength(1);
    expect(rt.last.signals).toEqual([9]);
    expect(await kit.engine.listContainers({ all: true })).toEqual([]);
  });

  it('rm -f of a running --rm container takes its anonymous volumes too (its own auto-removal gives way)', async () => {
    const id = await create({ rm: true, volume: ['/scratch'] });
    await kit.engine.startContainer(id);
    expect(await kit.engine.listVolumes()).toHaveLength(1);
    await kit.engine.removeContainer(id, { force: true });
    expect(await kit.engine.listVolumes()).toEqual([]);
  });

  it('refuses to start a container while it is being removed', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    rt.last.onSignal = () => {}; // the kill of rm -f takes a while to land
    const removing = kit.engine.removeContainer(id, { force: true });
    await until(() => rt.last.signals.length > 0);
    await expect(kit.engine.startContainer(id)).rejects.toThrow(/marked for removal/);
    rt.last.end(137);
    expect(await removing).toBe(id);
    expect(rt.started).toHaveLength(1);
  });

  it('stop while the process exits by itself keeps its own status and does not wait for the timeout', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    rt.last.onSignal = () => {}; // ignores SIGTERM: only its own exit ends the stop early
    rt.last.end(3);
    await kit.engine.stopContainer(id, 600); // the test's 10 s limit fails it if stop waited
    expect(await state(id)).toMatchObject({ Status: 'exited', ExitCode: 3 });
    expect(rt.last.signals).not.toContain(9);
  });

  it('stop sends the stop signal, then SIGKILL after the timeout', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    rt.last.onSignal = (sig, p) => sig === 9 && p.end(137);
    await kit.engine.stopContainer(id, 0);
    expect(rt.last.signals).toEqual([15, 9]);
    expect((await state(id)).ExitCode).toBe(137);
  });

  it('kill of a stopped container is refused and changes nothing', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    rt.last.end(0);
    await kit.engine.waitContainer(id);
    const err = await kit.engine.killContainer(id).catch((e: unknown) => e);
    expect(TabdockError.is(err, 'CONFLICT')).toBe(true);
    expect((err as Error).message).toMatch(/is not running/);
    expect(await state(id)).toMatchObject({ Status: 'exited', ExitCode: 0 });
    expect(rt.last.signals).toEqual([]);
  });

  it('wait after --rm removed the container still gives its status', async () => {
    const id = await create({ rm: true });
    await kit.engine.startContainer(id);
    rt.last.end(7, { error: 'it failed' });
    expect(await kit.engine.waitContainer(id)).toEqual({ StatusCode: 7, Error: 'it failed' });
    expect(await kit.engine.listContainers({ all: true })).toEqual([]);
    expect(await kit.engine.waitContainer(id)).toEqual({ StatusCode: 7, Error: 'it failed' });
  });

  it('restart stops the process (SIGKILL after the timeout) and starts a new one on the same tree', async () => {
    const id = await create();
    await kit.engine.startContainer(id);
    const first = rt.last;
    first.onSignal = (sig, p) => sig === 9 && p.end(137);
    await kit.engine.restartContainer(id, 0);
    expect(first.signals).toEqual([15, 9]);
    expect(rt.started).toHaveLength(2);
    expect((rt.last.req as { rootfs: unknown }).rootfs).toBe((first.req as { rootfs: unknown }).rootfs);
    expect(await state(id)).toMatchObject({ Status: 'running', Running: true });
  });

  it('refuses at create, with 125, an image whose platform no runtime accepts, naming what this engine runs', async () => {
    await kit.image('arm', [await kit.layer([file('x', 'x')])], { platform: { os: 'linux', architecture: 'arm64' } });
    const err = await kit.engine.createContainer({ image: 'arm', options: runOptions({}, ['arm', 'true']) }).catch((e: unknown) => e);
    expect(TabdockError.is(err, 'UNSUPPORTED_PLATFORM')).toBe(true);
    expect((err as TabdockError).exitCode).toBe(125);
    expect((err as Error).message).toBe('image platform linux/arm64 cannot run here: this engine runs linux/386');
    expect(await kit.engine.listContainers({ all: true })).toEqual([]);
  });

  it('--restart: always restarts after any exit (die then start, RestartCount counted), a stop is final, a manual start counts afresh', async () => {
    const id = await create({ restart: 'always' });
    const events: string[] = [];
    kit.engine.onEvent((e) => e.type === 'container' && events.push(e.action === 'die' ? `die ${e.exitCode}` : e.action));
    await kit.engine.startContainer(id);
    rt.last.end(0);
    await until(() => rt.started.length === 2);
    await until(() => events.length === 3);
    rt.last.end(3);
    await until(() => events.length === 5);
    expect(events).toEqual(['start', 'die 0', 'start', 'die 3', 'start']);
    const ins = await kit.engine.inspectContainer(id);
    expect(ins['RestartCount']).toBe(2);
    expect(ins['HostConfig']).toMatchObject({ RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
    // The user's stop is not undone, and a manual start begins the count again.
    rt.last.onSignal = (sig, p) => p.end(128 + sig);
    await kit.engine.stopContainer(id, 0);
    expect(await state(id)).toMatchObject({ Status: 'exited', Running: false });
    expect(rt.started).toHaveLength(3);
    await kit.engine.startContainer(id);
    expect((await kit.engine.inspectContainer(id))['RestartCount']).toBe(0);
  });

  it('--restart on-failure:2 restarts a failure twice, never a success; waiting between restarts, it is "restarting" and a kill ends it', async () => {
    const id = await create({ restart: 'on-failure:2' });
    let starts = 0;
    kit.engine.onEvent((e) => void (e.type === 'container' && e.action === 'start' && starts++));
    await kit.engine.startContainer(id);
    rt.last.end(1);
    await until(() => starts === 2);
    rt.last.end(1);
    await until(() => starts === 3);
    rt.last.end(1);
    expect((await kit.engine.waitContainer(id)).StatusCode).toBe(1);
    expect(await state(id)).toMatchObject({ Status: 'exited', ExitCode: 1 });
    expect((await kit.engine.inspectContainer(id))['RestartCount']).toBe(2);
    expect(rt.started).toHaveLength(3);

    const ok = await create({ restart: 'on-failure' });
    await kit.engine.startContainer(ok);
    rt.last.end(0);
    expect((await kit.engine.waitContainer(ok)).StatusCode).toBe(0);
    expect(await state(ok)).toMatchObject({ Status: 'exited' });
    expect(rt.started).toHaveLength(4);

    // The second restart waits 200 ms: long enough to see it restarting and kill it there.
    const k = await create({ restart: 'always' });
    await kit.engine.startContainer(k);
    rt.last.end(1);
    await until(() => starts === 6);
    rt.last.end(1);
    for (const end = Date.now() + 10_000; (await state(k)).Status !== 'restarting'; ) if (Date.now() > end) throw new Error('never restarting');
    expect(await state(k)).toMatchObject({ Status: 'restarting', Running: true, Restarting: true });
    await kit.engine.killContainer(k);
    expect(await state(k)).toMatchObject({ Status: 'exited', Running: false, Restarting: false });
    await new Promise((r) => setTimeout(r, 400)); // past the backoff: nothing started
    expect(rt.started).toHaveLength(6);
  });

  it("at the engine's start: always comes back even after a manual stop, unless-stopped only if not stopped by hand, no never", async () => {
    const always = await create({ restart: 'always' });
    const unless = await create({ restart: 'unless-stopped' });
    const unlessStopped = await create({ restart: 'unless-stopped' });
    const none = await create();
    for (const id of [always, unless, unlessStopped, none]) await kit.engine.startContainer(id);
    await kit.engine.stopContainer(always, 0);
    await kit.engine.stopContainer(unlessStopped, 0);
    // The engine went away under the other two (reconcile marks them exited), then starts again.
    await kit.engine.containers.reconcile('gone');
    expect(await state(unless)).toMatchObject({ Status: 'running' }); // still live in this engine
    const started: string[] = [];
    kit.engine.onEvent((e) => void (e.type === 'container' && e.action === 'start' && started.push(e.id)));
    await kit.engine.startByPolicy();
    await until(() => started.length === 1);
    expect(started).toEqual([always]);
    expect(await state(always)).toMatchObject({ Status: 'running', Running: true });
    expect(await state(unlessStopped)).toMatchObject({ Status: 'exited' });
    expect(await state(none)).toMatchObject({ Status: 'running' });
  });

  it("publishes Docker's container events: attach, start, resize, exec_create/start/die, kill (by signal), die, stop, restart, oom", async () => {
    const id = await create({ tty: true, interactive: true });
    const seen: string[] = [];
    kit.engine.onEvent((e) => {
      if (e.type !== 'container') return;
      const { type: _t, id: _i, name: _n, image: _m, time: _w, labels: _l, action, ...rest } = e;
      seen.push([action, ...Object.entries(rest).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : v}`)].join(' '));
    });
    const a = await kit.engine.attachContainer(id, () => {});
    await kit.engine.startContainer(id, { cols: 80, rows: 24 });
    await a.resize(100, 30);
    const x = await kit.engine.execContainer(id, { args: ['sh', '-c', 'exit 3'] }, () => {});
    rt.execs.at(-1)!.end(3);
    expect(await x.wait()).toBe(3);
    await until(() => seen.some((s) => s.startsWith('exec_die')));
    const execId = /execId=(\w+)/.exec(seen.find((s) => s.startsWith('exec_create'))!)![1];
    rt.last.onSignal = (sig, p) => (sig === 10 ? undefined : p.end(128 + sig));
    await kit.engine.killContainer(id, 'USR1');
    await kit.engine.stopContainer(id, 30);
    await kit.engine.restartContainer(id, 30);
    rt.last.end(137, { oomKilled: true });
    await until(() => seen.at(-1) === 'die exitCode=137');
    expect(seen).toEqual([
      'attach', 'start', 'resize cols=80 rows=24', 'resize cols=100 rows=30',
      `exec_create execId=${execId} command=sh -c exit 3`, `exec_start execId=${execId} command=sh -c exit 3`, `exec_die execId=${execId} exitCode=3`,
      'kill signal=10', 'kill signal=15', 'die exitCode=143', 'stop',
      // A stopped container's restart is a start and the restart event (nothing to stop).
      'start', 'restart', 'oom', 'die exitCode=137',
    ]);
    // rm -f of a running container kills it first (moby's daemon.Kill).
    const other = await create();
    await kit.engine.startContainer(other);
    seen.length = 0;
    await kit.engine.removeContainer(other, { force: true });
    expect(seen).toEqual(['kill signal=9', 'die exitCode=137', 'destroy']);
  });

  it('records the Driver of the runtime the lookup chose', async () => {
    const id = await create();
    expect((await kit.engine.inspectContainer(id))['Driver']).toBe('tabdock-guest');
  });
});
