// The daemon's socket as a client sees it: only the RPC contract is served (never the
// engine's own `dispose`/`init`), engine events reach a subscriber, and a client that
// streams many execs over one connection leaves the daemon's tables and heap flat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDaemon } from '../src/cli/daemon/daemon.ts';
import type { EngineEvent } from '../src/engine/events.ts';
import { cliHome, startRegistry, type CliHome, type TestRegistry } from './support/index.ts';

type Conn = NonNullable<Awaited<ReturnType<typeof connectDaemon>>>;

async function connect(cli: CliHome): Promise<Conn> {
  const d = await connectDaemon(cli.env, { autostart: false });
  if (!d) throw new Error('no daemon answers');
  return d;
}

describe('what the socket serves', () => {
  let cli: CliHome;
  beforeAll(async () => {
    cli = cliHome();
    expect((await cli.run('images', '-q')).code).toBe(0); // starts the daemon
  });
  afterAll(() => cli?.dispose());

  it('refuses dispose, init and the engine\'s services with a clear error, and keeps serving', async () => {
    const d = await connect(cli);
    try {
      const raw = d.api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      for (const m of ['dispose', 'init', 'images', 'containers', 'constructor', '__proto__']) {
        await expect(raw[m]!(), m).rejects.toMatchObject({ code: 'RPC_REFUSED', message: `the daemon serves no method "${m}" to clients` });
      }
      expect((await d.api.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(await d.api.listContainers({ all: true })).toEqual([]);
    } finally {
      d.close();
    }
    // Other clients still get served by the same daemon.
    expect((await cli.run('volume', 'create', 'still-here')).stdout).toBe('still-here\n');
    expect((await cli.run('daemon', 'status')).stdout).toMatch(/running: pid \d+/);
  });

  it('streams engine events to a subscriber until it closes the subscription', async () => {
    const d = await connect(cli);
    try {
      const seen: EngineEvent[] = [];
      const before = await d.api.rpcStats();
      const sub = await d.api.subscribeEvents((e) => void seen.push(e));
      expect((await d.api.rpcStats()).listeners).toBe(1);
      await d.api.createVolume('evented', {});
      await d.api.removeVolume('evented', {});
      await expect.poll(() => seen.map((e) => `${e.type}:${e.action}:${'name' in e ? e.name : ''}`)).toEqual(['volume:create:evented', 'volume:destroy:evented']);
      const during = await d.api.rpcStats();
      await sub.close();
      const after = await d.api.rpcStats();
      expect(after.listeners).toBe(0);
      // The subscription's handle (close) and its callback are gone on both sides.
      expect(during.handles).toBeGreaterThan(before.handles);
      expect(after.handles).toBe(before.handles);
      expect(d.tables().handles).toBe(0);
      await d.api.createVolume('unheard', {});
      expect(seen).toHaveLength(2);
    } finally {
      d.close();
    }
  });

  it('ends the subscriptions of a client that leaves', async () => {
    const d = await connect(cli);
    await d.api.subscribeEvents(() => {});
    d.close();
    const e = await connect(cli);
    try {
      await expect.poll(async () => (await e.api.rpcStats()).listeners).toBe(0);
      expect((await e.api.rpcStats()).connections).toBe(1);
    } finally {
      e.close();
    }
  });
});

describe('1,000 execs over one connection', () => {
  let reg: TestRegistry;
  let cli: CliHome;
  let image: string;
  beforeAll(async () => {
    reg = await startRegistry();
    await reg.push('busybox', 'busybox:latest');
    image = `${reg.host}/busybox`;
    // --expose-gc: the daemon measures its heap after a collection (rpcStats).
    cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_DAEMON_IDLE_SECONDS: '120', NODE_OPTIONS: '--expose-gc' });
    const r = await cli.run('run', '-d', '--name', 'target', image, 'sleep', '3600');
    if (r.code !== 0) throw new Error(`run -d failed: ${r.stderr}`);
  }, 300_000);
  afterAll(async () => {
    cli?.dispose();
    await reg?.stop();
  });

  it('tells a subscriber what other clients did: image tag and untag, a container\'s whole life with its exit code', async () => {
    const d = await connect(cli);
    try {
      const seen: EngineEvent[] = [];
      const sub = await d.api.subscribeEvents((e) => void seen.push(e));
      await d.api.tagImage(image, 'mine:1');
      await d.api.removeImage('mine:1', {});
      expect((await cli.run('run', '--rm', '--name', 'brief', image, 'sh', '-c', 'exit 3')).code).toBe(3);
      // (network events are checked below: they name the container by ID)
      const brief = (e: EngineEvent) => e.type === 'image' || (e.type === 'container' && e.name === 'brief');
      await expect.poll(() => seen.filter(brief).map((e) => `${e.type}:${e.action}${e.type === 'container' && e.action === 'die' ? `:${e.exitCode}` : ''}`)).toEqual([
        // An attached run: create, attach, start (moby's order), then its exit and --rm.
        'image:tag', 'image:untag', 'container:create', 'container:attach', 'container:start', 'container:die:3', 'container:destroy',
      ]);
      expect(seen.find((e) => e.type === 'image' && e.action === 'tag')).toMatchObject({ ref: 'docker.io/library/mine:1' });
      // its endpoint on the default bridge, made at its start and gone at its exit
      const id = seen.flatMap((e) => (e.type === 'container' && e.name === 'brief' ? [e.id] : []))[0];
      const net = seen.flatMap((e) => (e.type === 'network' && 'container' in e && e.container === id ? [`${e.action}:${e.name}`] : []));
      expect(net).toEqual(['connect:bridge', 'disconnect:bridge']);
      await sub.close();
    } finally {
      d.close();
    }
  }, 300_000);

  // 1,000 real execs take about 8-11 minutes on a 2-core machine (a guest exec is ~0.5 s of
  // emulated work), too long for every run of the suite: the suite runs 200, which the
  // exact handle-table checks at every 100 already make decisive (one handle kept per exec
  // shows at once); TABDOCK_EXEC_COUNT=1000 runs the issue's full figure.
  const N = Number(process.env['TABDOCK_EXEC_COUNT'] ?? 200);

  it(`holds the daemon's handle tables and heap flat across ${N} execs`, async () => {
    const d = await connect(cli);
    try {
      let out = '';
      const once = async (i: number) => {
        const h = await d.api.execContainer('target', { args: ['echo', `n${i}`] }, (chunk) => void (out += new TextDecoder().decode(chunk)));
        await h.closeStdin();
        expect(await h.wait()).toBe(0);
      };
      for (let i = 0; i < 20; i++) await once(i); // warm: the guest's and the engine's first-use allocations
      // Output is delivered before the exit is (one socket, in order).
      expect(out).toContain('n19\n');
      const base = await d.api.rpcStats();
      expect(base.gc).toBe(true);
      const samples: { at: number; handles: number; pending: number; heapMB: number }[] = [];
      for (let i = 0; i < N; i++) {
        await once(i);
        if ((i + 1) % 100 === 0) {
          const s = await d.api.rpcStats();
          samples.push({ at: i + 1, handles: s.handles, pending: s.pending, heapMB: Math.round((s.heapUsed / 2 ** 20) * 10) / 10 });
          // Every exec's handle and callbacks are released once its wait settled: none left over.
          expect(s.handles, `daemon handles after ${i + 1} execs`).toBe(base.handles);
          expect(s.pending, `daemon calls awaiting an answer after ${i + 1} execs`).toBe(base.pending);
          expect(d.tables(), `client tables after ${i + 1} execs`).toEqual({ handles: 0, pending: 0 });
        }
      }
      const end = await d.api.rpcStats();
      console.log(`daemon heap after a collection: ${(base.heapUsed / 2 ** 20).toFixed(1)} MB after warm-up, ${(end.heapUsed / 2 ** 20).toFixed(1)} MB after ${N} more execs`, samples);
      expect(out).toContain(`n${N - 1}\n`);
      // Generous: what a leak of a few KB per exec would pass; the tables above are the exact check.
      expect(end.heapUsed - base.heapUsed).toBeLessThan(24 * 2 ** 20);
    } finally {
      d.close();
    }
  }, 1_800_000);
});
