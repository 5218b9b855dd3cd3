import { deliver } from './deliver.ts';
import { DEFAULT_MEMORY, type Guest, type GuestProcess, type Handle9p } from '../../emulator/index.ts';
import { Errno, FsError, P9Server, type ContainerFs } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { exitCodeForStartError } from '../spec/exit-codes.ts';
import type { ContainerRecord } from './record.ts';
import { volumeTreeId } from '../volumes.ts';
import type { ContainerRuntime, EmulatorTree, ExecRequest, ProcessInfo, RuntimeExit, RuntimeProcess, RuntimeStats, StartRequest } from './runtime.ts';
import type { OciResources } from '../spec/oci-types.ts';
import { binfmtRule } from '../emulation/emulators.ts';
import type { RuntimeEnv } from './runtimes.ts';
import type { GuestSocket } from '../../emulator/index.ts';
import { netnsId, type NetworkPlan, type PlannedEndpoint } from '../network/plan.ts';

/**
 * Linux containers in the guest: the tree of every running container (handed over by the
 * filesystem service in the start request) and of its volumes is served by our 9P server
 * under the shared root (attach name '': one directory per tree, inode numbers offset per
 * tree; Linux mounts a virtio 9P channel once and v86 has one), mounted in the guest at
 * `/run/tabdock/fs`. A container's
 * bundle is `/run/tabdock/<id>/config.json` with its root at `/run/tabdock/fs/<id>`; the
 * agent runs `crun run` on it. The guest starts (or restores) on the first container start.
 */
export interface GuestRuntimeDeps {
  /** Boots or restores the guest with our 9P server on its device. */
  startGuest(handle9p: Handle9p): Promise<Guest>;
  /** The guest's memory (the limit `docker stats` shows for a container without -m). */
  guestMemory?: number;
  /** The store's room, for `df` in a container (the 9P server's statfs). */
  capacity?: () => { total: number; free: number } | undefined;
  /** How often the agent is pinged and how long an answer may take (default 5 s / 20 s); false: never. */
  watchdog?: { intervalMs: number; timeoutMs: number } | false;
}

export const GUEST_TREE = '/run/tabdock/fs';

/**
 * How the guest mounts the trees: `cache=loose` (issue 17) keeps what the guest looked up
 * and read (dentries, inodes, attributes, file pages) instead of asking the 9P server again
 * for every path and every page (a Python start: ~1,900 requests with `cache=none`, ~150
 * cached). Writes are NOT cached: the guest kernel carries a patch
 * (kernel/patches/0001-9p-loose-write-through.patch) that sends each write to the server
 * before write() returns and drops the pages it covers, so a write the store refuses
 * (ENOSPC past its cap, a full disk) fails in the writer, and a container's writes are in
 * its tree when it exits or when the engine reads it (no sync needed); a shared writable
 * mmap is refused, as with `cache=none`. (Stock `cache=loose` writes back later, where such
 * an error is heard by nobody: test/store-space.test.ts saw `dd` past the cap exit 0.)
 * What the guest cached is kept coherent by these rules, since the guest is the only
 * writer of a tree while it runs a container:
 * - what the engine changes in a running container's tree (cp into it) the guest sees once
 *   it has forgotten what it cached (`refreshFiles`, FORGET); cp replaces files (new
 *   inodes), and a name the guest has in use (an open file, a cwd, a mapping) it cannot
 *   forget: a process holding the old file keeps it, as on a host;
 * - a tree the guest has served before (a container started again, a volume used again:
 *   changed while no container ran, or a new tree under the old name) is forgotten before
 *   the next container that uses it starts.
 * Two containers sharing a volume share the guest's one mount, so they see each other's
 * writes.
 */
export const TREE_MOUNT_OPTIONS = 'cache=loose';
/** Whether the guest may hold stale lookups and reads of a tree (the forget rules above apply). */
const TREES_CACHED = /cache=(loose|fscache|mmap)/.test(TREE_MOUNT_OPTIONS);
/**
 * Whether the guest may hold a container's writes (write-back): never with the patched
 * kernel's write-through; a stock kernel's `cache=loose` would need a `sync` before an exit
 * is reported and before the engine reads a running tree (`flushFiles`).
 */
const TREES_WRITE_BACK = false;

/**
 * Written back, then every clean page, dentry and inode dropped. Once is not enough: the
 * kernel's shrinkers pass over what was used lately (clearing its referenced bit) and free
 * an inode only once its pages are gone, so it takes a few rounds (measured: the first two
 * leave a changed file's old size and bytes).
 */
export const FORGET = 'sync && for i in 1 2 3 4; do echo 3 > /proc/sys/vm/drop_caches; done';

/** Where a volume's tree is in the guest (a sibling of the container trees in the shared 9P root). */
export function guestVolumePath(name: string): string {
  return `${GUEST_TREE}/${volumeTreeId(name)}`;
}

export function guestBundlePath(id: string): string {
  return `/run/tabdock/${id}`;
}

export function guestRootfsPath(id: string): string {
  return `${GUEST_TREE}/${id}`;
}

export class GuestRuntime implements ContainerRuntime {
  private guest: Promise<Guest> | undefined;
  /** The trees of running containers: what the shared 9P root lists (a container's, and `v.<name>` for its volumes). */
  private readonly serving = new Map<string, Serving>();
  /** The trees (container IDs, volume tree IDs) each guest has served to a container. */
  private readonly servedTrees = new WeakMap<Guest, Set<string>>();
  /** The bridges made in each guest (net-create is idempotent; this saves the request). */
  private readonly bridges = new WeakMap<Guest, Set<string>>();
  /** The emulators' trees, served once one is needed and for the engine's life (binfmt_misc holds the file open). */
  private readonly emulatorTrees = new Map<string, ContainerFs>();
  /** The emulators registered with binfmt_misc in each guest (a restored guest has none). */
  private readonly registered = new WeakMap<Guest, Map<string, Promise<void>>>();
  constructor(private readonly deps: GuestRuntimeDeps, private readonly env: RuntimeEnv = {}) {}

  /** A 9P server per guest: a fresh kernel numbers its fids from the start again. */
  private newServer(): P9Server {
    return new P9Server({
      attach: async (id) => {
        const fs = this.served(id);
        if (!fs) throw new FsError(Errno.ENOENT, `no container tree ${id}`);
        return fs;
      },
      ...(this.deps.capacity ? { capacity: this.deps.capacity } : {}),
      list: () => [...this.serving.keys(), ...new Set([...this.serving.values()].flatMap((t) => t.volumes.map((v) => volumeTreeId(v.name)))), ...this.emulatorTrees.keys()],
    });
  }

  private served(id: string): ContainerFs | undefined {
    const own = this.serving.get(id);
    if (own) return own.rootfs;
    const emu = this.emulatorTrees.get(id);
    if (emu) return emu;
    for (const t of this.serving.values()) for (const v of t.volumes) if (volumeTreeId(v.name) === id) return v.fs;
    return undefined;
  }

  private bootGuest(): Promise<Guest> {
    if (this.guest) return this.guest;
    const current: Promise<Guest> = (async () => {
      const server = this.newServer();
      const g = await this.deps.startGuest((req, reply) => server.handle9p(req, reply));
      // A guest that panics or reboots is given up: its containers end (137, with the
      // reason) and the next start restores a fresh guest from the snapshot.
      g.onLost(() => {
        if (this.guest === current) this.guest = undefined;
        void g.dispose();
      });
      // Watched from the start: a guest that freezes while it is being set up is given up too.
      const w = this.deps.watchdog ?? { intervalMs: 5000, timeoutMs: 20_000 };
      if (w) g.watchdog(w.intervalMs, w.timeoutMs);
      await run(g, ['/bin/mkdir', '-p', GUEST_TREE]);
      await g.agent.mount({ aname: '', path: GUEST_TREE, options: TREE_MOUNT_OPTIONS });
      // Its egress and DNS frames go to the engine's network; bridges are made as containers need them.
      await this.env.network?.serve(g.agent);
      this.bridges.set(g, new Set());
      if (g.lost) throw g.lost;
      return g;
    })();
    this.guest = current;
    current.catch(() => {
      if (this.guest === current) this.guest = undefined;
    });
    return current;
  }

  /**
   * Registers an emulator with the guest's binfmt_misc, once per guest: its tree is served
   * beside the containers' (`/run/tabdock/fs/emulator-<name>/<name>`) and registered with
   * the fix-binary flag, so the kernel holds the file open and programs of that machine
   * start under it in every container's mount namespace, where the path does not exist.
   */
  private registerEmulator(g: Guest, emu: EmulatorTree): Promise<void> {
    let done = this.registered.get(g);
    if (!done) this.registered.set(g, (done = new Map()));
    const name = emu.info.name;
    let p = done.get(name);
    if (!p) {
      const dir = `emulator-${name}`;
      this.emulatorTrees.set(dir, emu.tree);
      const rule = binfmtRule(emu.info, `${GUEST_TREE}/${dir}/${name}`);
      // Registered unless it is (a guest restored from a state saved after one was made).
      const script = `m=/proc/sys/fs/binfmt_misc; [ -e $m/register ] || mount -t binfmt_misc binfmt_misc $m || exit 1; [ -e $m/${name} ] || printf '%s' '${rule}' > $m/register`;
      p = run(g, ['/bin/sh', '-c', script]).catch((e: unknown) => {
        done.delete(name);
        throw new TabdockError('EMULATOR_FAILED', `the ${emu.info.platforms[0]} emulator (${name}) could not be registered in the guest: ${e instanceof Error ? e.message : String(e)}`, { emulator: name }, { exitCode: 125 });
      });
      done.set(name, p);
    }
    return p;
  }

  /** A running container's writes reach its tree on the host (the guest writes back its page cache). */
  async flushFiles(): Promise<void> {
    if (!TREES_WRITE_BACK) return;
    const g = await this.guest?.catch(() => undefined);
    if (g) await this.guestShell(g, 'sync');
  }

  /** The engine changed a running container's tree: the guest forgets what it cached of it. */
  async refreshFiles(): Promise<void> {
    if (!TREES_CACHED) return;
    const g = await this.guest?.catch(() => undefined);
    if (g) await this.guestShell(g, FORGET);
  }

  private async guestShell(g: Guest, script: string): Promise<void> {
    const out = await (await g.agent.spawn(['/bin/sh', '-c', script])).output();
    if (out.status !== 0) throw new TabdockError('GUEST_WRITE_FAILED', `${script} failed in the guest (${out.status}): ${out.stderr.trim()}`, { script });
  }

  /** Boots (restores) the guest now, before any container needs it. */
  async warmUp(): Promise<void> {
    await this.bootGuest();
  }

  async start(req: StartRequest): Promise<RuntimeProcess> {
    const c = req.container;
    const trees: Serving = { rootfs: req.rootfs, volumes: req.volumes, process: req.spec['process'] as Record<string, unknown> | undefined };
    this.serving.set(c.Id, trees);
    let netns: string | undefined;
    let guest: Guest | undefined;
    try {
      guest = await this.bootGuest();
      const g = guest;
      // Trees this guest served before may have changed since, or be new objects under the
      // old names: the guest forgets what it cached of them first (TREE_MOUNT_OPTIONS).
      const served = this.servedTrees.get(g) ?? new Set<string>();
      this.servedTrees.set(g, served);
      const ids = [c.Id, ...req.volumes.map((v) => volumeTreeId(v.name))];
      if (TREES_CACHED && ids.some((id) => served.has(id))) await this.guestShell(g, FORGET);
      for (const id of ids) served.add(id);
      const dir = guestBundlePath(c.Id);
      const plan = req.network;
      const spec = plan ? withNetwork(req.spec, plan, dir) : req.spec;
      // The namespace and its veths are made while the files are written (the agent takes both at once).
      const ready = (async () => {
        if (!plan || (plan.mode !== 'bridge' && plan.mode !== 'none')) return;
        await g.agent.netnsCreate(plan.netns, { dns: plan.dns });
        netns = plan.netns;
        for (const e of plan.endpoints) await this.attach(g, plan.netns, e);
      })();
      const files: Record<string, string> = plan ? { hosts: plan.files.hosts, 'resolv.conf': plan.files.resolvConf, hostname: plan.files.hostname } : {};
      const written = this.writeGuestFiles(g, dir, { ...files, 'config.json': JSON.stringify(spec) });
      const emulated = req.emulator ? this.registerEmulator(g, req.emulator) : undefined;
      const both = await Promise.allSettled([ready, written, ...(emulated ? [emulated] : [])]);
      for (const r of both) if (r.status === 'rejected') throw r.reason;
      const proc = await g.agent.run({ id: c.Id, bundle: dir, tty: req.tty, ...(req.rows ? { rows: req.rows } : {}), ...(req.cols ? { cols: req.cols } : {}) });
      // A signal right after `run -d` may come before crun made the container: wait for it.
      // Once crun has made it, no signal waits again; once it has exited, none is sent (a
      // wait for a container that is gone would run to its 5 s bound: `stop -t 0` of one that
      // ended on the stop signal sends SIGKILL after it).
      let created = false;
      let ended = false;
      void proc.exit.then(() => (ended = true), () => (ended = true));
      const kill = async (sig: number) => {
        if (ended) return;
        if (!created) await waitCreated(g, c.Id);
        created = true;
        if (!ended) await g.agent.kill(c.Id, sig);
      };
      return this.wrap(g, proc, c.Path, kill, async () => {
        // crun run already deleted its container; this only drops the agent's record.
        void g.agent.delete(c.Id, true).catch(() => {});
        // Its namespace, veths and DNS socket go with it (the addresses are the engine's to free);
        // not awaited: deleting veths takes the emulated kernel a while, and the agent runs a
        // later netns-create of the same id only after it.
        if (netns) void g.agent.netnsDelete(netns).catch(() => {});
        try {
          // What it wrote is written back from the guest's page cache (TREE_MOUNT_OPTIONS).
          // A guest that went away has nothing left to write back.
          const settled = g.lost || !TREES_WRITE_BACK ? undefined : await this.guestShell(g, 'sync').then(() => undefined, (e: unknown) => e);
          // What it wrote, to its tree and its volumes, is saved before its exit is reported.
          // A save that fails (a full store) still reports the exit, with the reason: the
          // container's writes past the failure were refused in it (ENOSPC) or are lost here.
          for (const fs of [req.rootfs, ...req.volumes.map((v) => v.fs)]) {
            const failed = await fs.sync().then(() => undefined, (e: unknown) => e);
            if (failed) return `its last writes could not be saved: ${(failed as Error).message}`;
          }
          if (settled) return `its last writes could not be written back in the guest: ${(settled as Error).message}`;
        } finally {
          if (this.serving.get(c.Id) === trees) this.serving.delete(c.Id);
        }
        return undefined;
      }, () => this.oomKilled(g, c.Id));
    } catch (e) {
      if (netns) await guest?.agent.netnsDelete(netns).catch(() => {});
      if (this.serving.get(c.Id) === trees) this.serving.delete(c.Id);
      throw e;
    }
  }

  /** An endpoint: its bridge made in this guest if needed, then the veth into the container's namespace. */
  private async attach(g: Guest, id: string, e: PlannedEndpoint): Promise<void> {
    const made = this.bridges.get(g) ?? new Set<string>();
    this.bridges.set(g, made);
    if (!made.has(e.bridge)) {
      await g.agent.netCreate({ bridge: e.bridge, subnet: e.subnet, gateway: e.gateway, internal: e.internal });
      made.add(e.bridge);
    }
    await g.agent.netAttach({ id, bridge: e.bridge, ifname: e.ifname, ip: `${e.ip}/${e.prefix}`, mac: e.mac, gateway: e.gateway, defaultRoute: e.defaultRoute });
  }

  async connect(ip: string, port: number): Promise<GuestSocket> {
    return (await this.bootGuest()).agent.connect(ip, port);
  }

  async attachEndpoint(containerId: string, e: PlannedEndpoint, dns?: { resolvConf: string; sharers: string[] }): Promise<void> {
    const g = await this.bootGuest();
    const ns = netnsId(containerId);
    await this.attach(g, ns, e);
    if (!dns) return;
    try {
      await g.agent.netnsDns(ns);
      // The same file, truncated and written by one printf (the bind in the container shows
      // it; a rename would leave the bind on the old file), in each container of the namespace.
      const script = 'for f in "$@"; do printf %s "$0" > "$f" || exit 1; done';
      const paths = [containerId, ...dns.sharers].map((id) => `${guestBundlePath(id)}/resolv.conf`);
      const out = await (await g.agent.spawn(['/bin/sh', '-c', script, dns.resolvConf, ...paths])).output();
      if (out.status !== 0) throw new TabdockError('GUEST_WRITE_FAILED', `could not write resolv.conf in the guest: ${out.stderr.trim()}`, { paths });
    } catch (err) {
      await g.agent.netDetach(ns, e.ifname).catch(() => {});
      throw err;
    }
  }

  async detachEndpoint(containerId: string, ifname: string): Promise<void> {
    await (await this.bootGuest()).agent.netDetach(netnsId(containerId), ifname);
  }

  async removeBridge(bridge: string): Promise<void> {
    const g = await this.guest?.catch(() => undefined);
    if (!g || !this.bridges.get(g)?.has(bridge)) return;
    await g.agent.netRemove(bridge);
    this.bridges.get(g)?.delete(bridge);
  }

  async exec(req: ExecRequest): Promise<RuntimeProcess> {
    const guest = await this.bootGuest();
    // `run -d` returns once the agent started crun; crun may not have created the
    // container yet. Wait (bounded, 5 s) for its state before `crun exec`.
    await waitCreated(guest, req.container.Id);
    // The container's own process (capabilities, rlimits, no-new-privileges) with the exec's
    // command, environment, directory, terminal and user, as moby makes an exec's process;
    // crun's --user cannot carry the user's supplementary groups, the process JSON can.
    const base = this.serving.get(req.container.Id)?.process;
    const process = base ? JSON.stringify(execProcess(base, req)) : undefined;
    const proc = await guest.agent.exec({
      id: req.container.Id, args: req.args, env: req.env, cwd: req.cwd, ...(req.user ? { user: req.user } : {}), tty: req.tty,
      ...(req.rows ? { rows: req.rows } : {}), ...(req.cols ? { cols: req.cols } : {}), ...(process ? { process } : {}),
    });
    return this.wrap(guest, proc, req.args[0] ?? '', (sig) => proc.kill(sig), async () => undefined);
  }

  /** `cleanup` runs at the exit; a sentence it answers is the exit's `error` (the state's Error). */
  /** OOM kills the guest's kernel has logged, per container, as last counted (a restored guest starts a fresh log). */
  private readonly oomSeen = new WeakMap<Guest, Map<string, number>>();

  /**
   * Whether the memory cgroup OOM killer ended the container (moby: the `oom_kill` event of
   * its cgroup). crun removes the cgroup, and its memory.events with it, as the container
   * exits, so the kernel's log says it instead: one `oom-kill:... oom_memcg=/tabdock/ID,...`
   * line per kill. A kill is new if the log has more of them than last counted.
   */
  private async oomKilled(g: Guest, id: string): Promise<boolean> {
    const out = await (await g.agent.spawn(['/bin/dmesg'])).output();
    const n = out.stdout.split('\n').filter((l) => l.includes('oom-kill:') && l.includes(`oom_memcg=`) && new RegExp(`oom_memcg=[^,]*/${id},`).test(l)).length;
    const seen = this.oomSeen.get(g) ?? new Map<string, number>();
    this.oomSeen.set(g, seen);
    const before = seen.get(id) ?? 0;
    seen.set(id, n);
    return n > before;
  }

  private wrap(guest: Guest, proc: GuestProcess, command: string, kill: (sig: number) => Promise<void>, cleanup: () => Promise<string | undefined>, oomCheck?: () => Promise<boolean>): RuntimeProcess {
    // crun reports a command it could not start on stderr (`executable file `x` not found
    // in $PATH: ...`, `open executable: Permission denied`) and exits 1; Docker's statuses
    // for that are 127 (not found) and 126 (cannot invoke), from the same sentences.
    let head = '';
    const listeners = new Set<(chunk: Uint8Array, fd: 1 | 2) => void>();
    const early: [Uint8Array, 1 | 2][] = [];
    proc.onOutput((chunk, fd) => {
      if (fd === 2 && head.length < 4096) head += new TextDecoder().decode(chunk);
      if (listeners.size === 0) early.push([chunk, fd]);
      for (const l of listeners) deliver(l, chunk, fd);
    });
    const exit: Promise<RuntimeExit> = proc.exit.then(async (code) => {
      const unsaved = await cleanup();
      if ((code === 1 || code === 255) && /^(crun: )?(executable file|open executable|exec)/.test(head)) {
        const mapped = exitCodeForStartError(head, command);
        return { code: mapped === 125 ? 125 : mapped, error: head.trim().split('\n')[0]! };
      }
      // The guest went away under it (the agent client abandons its processes with -1).
      if (code < 0) return { code: 137, error: guest.lost?.message ?? 'the guest went away while the container ran' };
      // A SIGKILL may be the memory cgroup's OOM killer (State.OOMKilled).
      const oomKilled = code === 137 && oomCheck ? await oomCheck().catch(() => false) : false;
      return { code, ...(oomKilled ? { oomKilled } : {}), ...(unsaved ? { error: unsaved } : {}) };
    });
    return {
      onOutput: (l) => {
        listeners.add(l);
        for (const [chunk, fd] of early.splice(0)) l(chunk, fd);
        return () => listeners.delete(l);
      },
      write: (d) => proc.write(d),
      closeStdin: () => proc.closeStdin(),
      resize: (cols, rows) => proc.resize(rows, cols),
      kill,
      exit,
    };
  }

  /**
   * One guest process makes the directory and writes the files (each spawn costs a
   * fork+exec in the emulator): the small ones as arguments (`printf %s` writes them as
   * they are), config.json, the last, from stdin.
   */
  private async writeGuestFiles(guest: Guest, dir: string, files: Record<string, string>): Promise<void> {
    const names = Object.keys(files);
    const last = names.pop()!;
    const script = ['mkdir -p "$0"', ...names.map((n, i) => `printf %s "$${i + 1}" > "$0/${n}"`), `cat > "$0/${last}"`].join(' && ');
    const p = await guest.agent.spawn(['/bin/sh', '-c', script, dir, ...names.map((n) => files[n]!)]);
    await p.write(new TextEncoder().encode(files[last]!));
    p.closeStdin();
    const out = await p.output();
    if (out.status !== 0) throw new TabdockError('GUEST_WRITE_FAILED', `could not write ${dir}/${last} in the guest: ${out.stderr.trim()}`, { path: `${dir}/${last}` });
  }

  async stats(c: ContainerRecord): Promise<RuntimeStats> {
    const guest = await this.bootGuest();
    const f = await guest.agent.stats(c.Id);
    const num = (k: string) => (f[k] === undefined || f[k]!.trim() === 'max' ? undefined : Number(f[k]!.trim()));
    // The agent's stats leave out io.stat and the network counters (a rebuilt initramfs to
    // change): read them beside them, in one spawn: the cgroup's io.stat, then
    // /proc/<its first process>/net/dev (the counters of the container's network namespace).
    const script = 'cat "$0/io.stat" && echo "--net--" && read p < "$0/cgroup.procs" && cat "/proc/$p/net/dev"';
    const extra = f['cgroup'] ? await (await guest.agent.spawn(['/bin/sh', '-c', script, `/sys/fs/cgroup${f['cgroup'].trim()}`])).output().catch(() => undefined) : undefined;
    const [ioText, netText] = extra?.stdout.split('--net--\n') ?? [];
    const blockIo = extra && ioText !== undefined && /--net--/.test(extra.stdout) ? sumIoStat(ioText) : undefined;
    const networks = extra?.status === 0 && netText !== undefined ? netDev(netText) : undefined;
    return {
      ...(blockIo ? { blockIo } : {}),
      ...(networks && Object.keys(networks).length > 0 ? { networks } : {}),
      memoryBytes: num('memory.current') ?? 0, ...(num('memory.max') !== undefined ? { memoryLimit: num('memory.max')! } : {}),
      machineMemory: this.deps.guestMemory ?? DEFAULT_MEMORY,
      pids: num('pids.current') ?? 0, ...(num('pids.max') !== undefined ? { pidsLimit: num('pids.max')! } : {}),
      cpuUsageNs: (num('cpu.usage_usec') ?? 0) * 1000,
    };
  }

  /** `crun pause`/`resume`: cgroup v2's freezer (`cgroup.freeze`) on the container's cgroup. */
  async pause(c: ContainerRecord): Promise<void> {
    const g = await this.bootGuest();
    // Right after `run -d`, crun may not have made the container yet: wait for it, as kill does.
    await waitCreated(g, c.Id);
    await run(g, ['/usr/bin/crun', 'pause', c.Id]);
  }

  async resume(c: ContainerRecord): Promise<void> {
    const g = await this.bootGuest();
    await waitCreated(g, c.Id);
    await run(g, ['/usr/bin/crun', 'resume', c.Id]);
  }

  /** `crun update -r FILE`: the same OCI resources as at create, turned into cgroup files by crun as then. */
  async updateResources(c: ContainerRecord, resources: Omit<OciResources, 'devices'>): Promise<void> {
    const g = await this.bootGuest();
    await waitCreated(g, c.Id);
    const file = `${guestBundlePath(c.Id)}/update.json`;
    const p = await g.agent.spawn(['/bin/sh', '-c', 'cat > "$0" && exec /usr/bin/crun update -r "$0" "$1"', file, c.Id]);
    await p.write(new TextEncoder().encode(JSON.stringify(resources)));
    p.closeStdin();
    const out = await p.output();
    if (out.status !== 0) throw new TabdockError('GUEST_COMMAND_FAILED', `crun update ${c.Id} failed in the guest: ${out.stderr.trim()}`, { args: ['update', c.Id] });
  }

  /**
   * The container's processes (`crun ps`: the PIDs in its cgroup), read from the guest's
   * /proc in one spawn: the uptime and /etc/passwd first, then per PID its stat line, its
   * uid and its command line. A process that ends meanwhile is left out.
   */
  async processes(c: ContainerRecord): Promise<ProcessInfo[]> {
    const g = await this.bootGuest();
    const script = [
      'pids=$(/usr/bin/crun ps "$0" | sed 1d) || exit 1',
      "sed -n 's/^MemTotal: *\\([0-9]*\\).*/\\1/p' /proc/meminfo",
      'cat /proc/uptime /etc/passwd',
      'for p in $pids; do s=$(cat /proc/$p/stat 2>/dev/null) || continue; u=$(sed -n "s/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p" /proc/$p/status 2>/dev/null); printf "\\n@@@ %s\\n%s\\n%s\\n" "$p" "$s" "$u"; cat /proc/$p/cmdline 2>/dev/null; done',
    ].join('\n');
    const now = Date.now();
    const out = await (await g.agent.spawn(['/bin/sh', '-c', script, c.Id])).output();
    if (out.status !== 0) throw new TabdockError('GUEST_COMMAND_FAILED', `crun ps ${c.Id} failed in the guest: ${out.stderr.trim()}`, { args: ['ps', c.Id] });
    return parseProcesses(out.stdout, now);
  }

  async dispose(): Promise<void> {
    const g = await this.guest?.catch(() => undefined);
    await g?.dispose();
  }
}

/**
 * The container's network in its config.json (as moby's `WithNetwork`/`withMounts`): the
 * namespace crun joins by path (its own, made by netns-create, or another container's;
 * none for `--network host`), and /etc/hosts, /etc/resolv.conf and /etc/hostname bound
 * from the bundle directory.
 */
/** What a started container is served with, and its OCI process (the base of its execs). */
type Serving = Pick<StartRequest, 'rootfs' | 'volumes'> & { process?: Record<string, unknown> | undefined };

/** moby's exec process: the container's, with the exec's args, env, cwd, terminal and user (uid, gid, additionalGids). */
export function execProcess(base: Record<string, unknown>, req: ExecRequest): Record<string, unknown> {
  const { consoleSize: _size, ...rest } = base;
  const [uid = 0, gid = 0] = req.user.split(':').map((n) => Number(n));
  const gids = req.additionalGids ?? [];
  return {
    ...rest,
    terminal: req.tty,
    ...(req.tty && req.rows && req.cols ? { consoleSize: { height: req.rows, width: req.cols } } : {}),
    user: { uid, gid, ...(gids.length ? { additionalGids: gids } : {}) },
    args: req.args,
    env: req.env,
    cwd: req.cwd,
  };
}

function withNetwork(spec: Record<string, unknown>, plan: NetworkPlan, dir: string): Record<string, unknown> {
  const linux = { ...(spec['linux'] as Record<string, unknown>) };
  const namespaces = ((linux['namespaces'] as Array<{ type: string; path?: string }>) ?? []).filter((n) => n.type !== 'network');
  if (plan.mode !== 'host') namespaces.push({ type: 'network', path: `/run/netns/${plan.netns}` });
  linux['namespaces'] = namespaces;
  const mounts = [...((spec['mounts'] as Array<{ destination: string }>) ?? [])];
  const userDest = new Set(mounts.map((m) => m.destination));
  for (const [file, dest] of [['hosts', '/etc/hosts'], ['resolv.conf', '/etc/resolv.conf'], ['hostname', '/etc/hostname']] as const) {
    if (!userDest.has(dest)) mounts.push({ destination: dest, type: 'bind', source: `${dir}/${file}`, options: ['rbind', 'rprivate'] } as { destination: string });
  }
  return { ...spec, linux, mounts };
}

/** Until crun has created container `id` (its state file exists), at most 5 s. */
async function waitCreated(guest: Guest, id: string): Promise<void> {
  await run(guest, ['/bin/sh', '-c', 'i=0; while [ ! -e "$0" ] && [ $i -lt 100 ]; do usleep 50000; i=$((i+1)); done', `/run/crun/${id}/status`]);
}

async function run(guest: Guest, args: string[]): Promise<void> {
  const out = await (await guest.agent.spawn(args)).output();
  if (out.status !== 0) throw new TabdockError('GUEST_COMMAND_FAILED', `${args.join(' ')} failed in the guest: ${out.stderr.trim()}`, { args });
}

/**
 * `/proc/net/dev` of a namespace: bytes received and sent per interface, `lo` and the
 * kernel's idle tunnel devices left out (as Docker's stats list the container's own
 * interfaces; none but those: no entry at all, `--` as for `--network none`).
 */
/** The devices the kernel puts in every namespace (sit0 and its kind): not the container's network. */
const FALLBACK_TUNNEL = /^(sit|tunl|ip6tnl|ip6gre|gre|gretap|erspan|ip_vti|ip6_vti)0$/;

export function netDev(text: string): Record<string, { rx_bytes: number; tx_bytes: number }> {
  const out: Record<string, { rx_bytes: number; tx_bytes: number }> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo' || FALLBACK_TUNNEL.test(m[1]!)) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
    if (f.length >= 9 && Number.isFinite(f[0]) && Number.isFinite(f[8])) out[m[1]!] = { rx_bytes: f[0]!, tx_bytes: f[8]! };
  }
  return out;
}

/** cgroup v2 `io.stat` (`MAJ:MIN rbytes=N wbytes=N rios=...` per device), summed over devices. */
export function sumIoStat(text: string): { read: number; write: number } {
  const sum = (k: string) => [...text.matchAll(new RegExp(`\\b${k}=(\\d+)`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
  return { read: sum('rbytes'), write: sum('wbytes') };
}

/** USER_HZ: /proc counts CPU time and start times in 1/100 s on every Linux the guest runs. */
const CLOCK_TICKS = 100;
/** The guest's page size (i386), for the stat line's rss in pages. */
const PAGE_SIZE = 4096;

/**
 * What `processes` printed: MemTotal (kB), `/proc/uptime` and /etc/passwd, then `@@@ PID` sections of
 * the stat line, the uid and the NUL-separated command line. `now` is the engine's clock
 * when it asked (the guest's clock may be anywhere after a snapshot restore; its uptime
 * is not).
 */
export function parseProcesses(text: string, now: number): ProcessInfo[] {
  const [head = '', ...sections] = text.split('\n@@@ ');
  const [memLine = '', uptimeLine = '', ...passwd] = head.split('\n');
  const memTotalKb = Number(memLine);
  const uptime = Number(uptimeLine.split(' ')[0]);
  const names = new Map<number, string>();
  for (const l of passwd) {
    const f = l.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2]!) && !names.has(Number(f[2]))) names.set(Number(f[2]), f[0]!);
  }
  const out: ProcessInfo[] = [];
  for (const sec of sections) {
    const nl1 = sec.indexOf('\n');
    const nl2 = sec.indexOf('\n', nl1 + 1);
    const nl3 = sec.indexOf('\n', nl2 + 1);
    if (nl1 < 0 || nl2 < 0 || nl3 < 0) continue;
    const stat = sec.slice(nl1 + 1, nl2);
    const uid = Number(sec.slice(nl2 + 1, nl3));
    const cmdline = sec.slice(nl3 + 1);
    // proc(5): "pid (comm) state ppid pgrp session tty_nr ..."; comm may hold spaces and parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < 0) continue;
    const f = stat.slice(close + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const elapsed = Math.max(0, uptime - Number(f[19]) / CLOCK_TICKS);
    out.push({
      pid: Number(sec.slice(0, nl1)), ppid: Number(f[1]), uid, ...(names.has(uid) ? { user: names.get(uid)! } : {}), ttyNr: Number(f[4]),
      startedAt: now - elapsed * 1000, cpuSeconds: ticks / CLOCK_TICKS, elapsedSeconds: elapsed,
      args: cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1), comm: stat.slice(open + 1, close),
      stat: {
        state: f[0]!, pgrp: Number(f[2]), session: Number(f[3]), tpgid: Number(f[5]), priority: Number(f[15]), nice: Number(f[16]),
        threads: Number(f[17]), vsizeBytes: Number(f[20]), rssKb: Number(f[21]) * (PAGE_SIZE / 1024), processor: Number(f[36] ?? 0), memTotalKb,
      },
    });
  }
  return out.sort((a, b) => a.pid - b.pid);
}
