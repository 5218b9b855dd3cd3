/**
 * The tabdock guest in v86: boot (bzImage + initramfs through SeaBIOS) or restore a saved
 * state, connect the agent client to its control port, serve 9P through the caller's
 * `handle9p`, save state, dispose. Platform-neutral: images and the wasm come in as bytes.
 */
import { V86, type V86Options } from 'v86';
import { TabdockError } from '../shared/errors.ts';
import { DEFAULT_MEMORY, GUEST_MEMORY_RANGE, guestMemoryProblem } from '../shared/guest-memory.ts';
import { AgentClient, type AgentInfo, type AgentTransport } from './agent-client.ts';

/** 9P2000.L request frame in, response frame out (possibly later; see DESIGN "v86 facts"). */
export type Handle9p = (request: Uint8Array, reply: (response: Uint8Array) => void) => void;

export interface GuestImages {
  bios: ArrayBuffer;
  /**
   * SeaBIOS's VGA option ROM. Optional: nothing here draws on a screen, and without it
   * SeaBIOS runs ~2.8 million fewer guest instructions before the kernel (about 7% of a
   * cold boot to init).
   */
  vgaBios?: ArrayBuffer;
  /** Needed for a cold boot only. */
  bzImage?: ArrayBuffer;
  /** Needed for a cold boot only. */
  initrd?: ArrayBuffer;
}

export type BootPhase = 'emulator' | 'kernel' | 'agent' | 'ready';

export interface GuestOptions {
  images: GuestImages;
  /** v86.wasm bytes (the worker fetches them; Node reads node_modules/v86/build). */
  wasm: ArrayBuffer | Uint8Array;
  /** Guest RAM. The initrd loads at 64 MiB, so this must exceed 64 MiB + initrd size. */
  memoryBytes?: number;
  /** Extra kernel command-line words. */
  cmdline?: string;
  /** Serves the guest's 9P device (tag host9p). Absent: v86's built-in in-memory filesystem. */
  handle9p?: Handle9p;
  /** An uncompressed `saveState()` of the same guest build and options: skip the boot. */
  state?: ArrayBuffer;
  /** Kernel and init messages from the serial console. */
  onSerial?: (text: string) => void;
  onProgress?: (phase: BootPhase) => void;
  /** Give up on a boot or restore that has no agent after this long. */
  timeoutMs?: number;
  /** Abandon the boot (the emulator is destroyed, start() rejects with EMULATOR_ABORTED). */
  signal?: AbortSignal;
  /**
   * Which port host->guest frames take. `bulk` (default): the plain virtio port BULK_PORT,
   * which the guest reads a 4 KiB buffer per read() (~2 guest instructions a byte); a guest
   * without it (a state saved by an older build) fails the start with EMULATOR_NO_BULK_PORT.
   * `console`: the control console port, a tty (~55 instructions a byte), kept as the
   * baseline the bench measures against.
   */
  link?: 'bulk' | 'console';
}

/** The agent's console port: hvc1 (port 0 stays free for a user console later). */
export const CONTROL_PORT = 1;
/**
 * The port host->guest frames take: announced to the guest without the console flag, so
 * Linux makes it a plain char device (/dev/vportNp2) instead of an hvc tty. Mirrors
 * BULK_PORT in kernel/agent/proto.h.
 */
export const BULK_PORT = 2;
export { DEFAULT_MEMORY, GUEST_MEMORY_RANGE, guestMemoryProblem };
/**
 * quiet: no per-line cost on the emulated UART; tsc=reliable + no_timer_check: skip the
 * clock checks that are slow under emulation.
 */
export const KERNEL_CMDLINE = 'console=ttyS0 quiet loglevel=3 tsc=reliable no_timer_check mitigations=off random.trust_cpu=on 8250.nr_uarts=1 panic=-1';
/**
 * Added for a boot that will be saved: freed pages are zeroed, so the state compresses
 * well. Not on every cold boot: clearing 256 MiB at boot costs ~0.7 s in the emulator.
 */
export const SNAPSHOT_CMDLINE = 'init_on_free=1';

const SERIAL_TAIL = 8192;

export class Guest {
  private serial = '';
  private inFlight9p = 0;
  private disposed = false;
  private lostWith: TabdockError | undefined;
  private stopWatchdog: (() => void) | undefined;
  private readonly lostListeners = new Set<(e: TabdockError) => void>();
  private sendPort = CONTROL_PORT;

  private constructor(
    /** The v86 instance (escape hatch: built-in 9P filesystem, screenshots, debugging). */
    readonly emulator: V86,
    readonly agent: AgentClient,
    private readonly onSerial?: (text: string) => void,
  ) {}

  /** Boot from scratch, or restore `options.state`; resolves once the agent answers. */
  static async start(options: GuestOptions): Promise<Guest> {
    const memory = options.memoryBytes ?? DEFAULT_MEMORY;
    const initrdSize = options.images.initrd?.byteLength ?? 0;
    if (!options.state && (!options.images.bzImage || !options.images.initrd)) {
      throw new TabdockError('EMULATOR_NO_KERNEL', 'A cold boot needs the kernel (bzImage) and the initramfs.', {});
    }
    if (!options.state && memory <= 64 * 1024 * 1024 + initrdSize) {
      throw new TabdockError('EMULATOR_MEMORY_TOO_SMALL', `Guest memory must exceed 64 MiB plus the initramfs (${initrdSize} bytes): v86 loads the initrd at 64 MiB.`, { memory, initrdSize });
    }
    const link = options.link ?? 'bulk';
    if (link !== 'bulk' && link !== 'console') throw new TabdockError('EMULATOR_BAD_OPTION', `Unknown guest link "${String(link)}": use "bulk" or "console".`, { link });
    const wasm = options.wasm;
    let guestRef: Guest | undefined;
    const v86Options: V86Options = {
      // (typed loosely: v86's Imports/Exports types differ between the DOM and Node libs)
      wasm_fn: (async (imports: object) => (await wasmApi().instantiate(wasm, imports)).instance.exports) as unknown as V86Options['wasm_fn'],
      memory_size: memory,
      vga_memory_size: 2 * 1024 * 1024,
      bios: { buffer: options.images.bios },
      ...(options.images.vgaBios ? { vga_bios: { buffer: options.images.vgaBios } } : {}),
      virtio_console: { type: 'none' },
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      filesystem: options.handle9p ? { handle9p: (req, reply) => guestRef?.serve9p(options.handle9p!, req, reply) } : {},
    };
    if (options.state) {
      v86Options.initial_state = { buffer: options.state };
    } else {
      // copies: v86 patches the boot header inside the buffer it is given
      v86Options.bzimage = { buffer: options.images.bzImage!.slice(0) };
      v86Options.initrd = { buffer: options.images.initrd!.slice(0) };
      v86Options.cmdline = options.cmdline ? `${KERNEL_CMDLINE} ${options.cmdline}` : KERNEL_CMDLINE;
    }
    options.onProgress?.('emulator');
    const emulator = new V86(v86Options);
    const bus = busOf(emulator);
    // Until the agent has said it reads the bulk port, frames go on the console port, which
    // it always reads (a restored guest's first ping; nothing is sent before READY on a boot).
    let sendPort = CONTROL_PORT;
    plainBulkPort(emulator);
    const transport: AgentTransport = {
      send: (bytes) => bus.send(`virtio-console${sendPort}-input-bytes`, bytes),
      // The agent's READY comes on the console port, its later frames on the bulk port
      // (out=2; an agent without one keeps to the console port): both are listened to.
      onReceive: (listener) => {
        const offs = [CONTROL_PORT, BULK_PORT].map((port) => {
          const name = `virtio-console${port}-output-bytes`;
          const fn = (bytes: Uint8Array) => listener(bytes, port);
          bus.register(name, fn);
          return () => bus.unregister(name, fn);
        });
        return () => offs.forEach((off) => off());
      },
      buffersPosted: () => postedBuffers(emulator, sendPort),
      nextBufferSize: () => nextBufferSize(emulator, sendPort),
    };
    const agent = new AgentClient(transport, (e) => {
      guestRef?.log(`[tabdock] ${e.message}\n`);
      if (e.code === 'EMULATOR_GUEST_RESTARTED') guestRef?.markLost(e);
    });
    const guest = new Guest(emulator, agent, options.onSerial);
    guestRef = guest;
    emulator.add_listener('serial0-output-byte', (byte: number) => guest.log(String.fromCharCode(byte)));
    // Health never comes from console text, which a container can write (mknod c 5 1 is in
    // Docker's default device rules): only from the machine itself resetting (a kernel
    // panic reboots it, panic=-1; a restored guest does not come back from a reset), from
    // the agent's own port (a second READY) and from its pings (the watchdog).
    onMachineReset(emulator, () => guest.markLost(new TabdockError('EMULATOR_GUEST_LOST', 'The guest machine reset itself (a kernel panic or a reboot); its running containers are gone.', {})));
    const timeoutMs = options.timeoutMs ?? 120_000;
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(new TabdockError('EMULATOR_ABORTED', 'The guest start was cancelled.', {}));
      if (options.signal?.aborted) fail();
      else options.signal?.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => {});
    // A guest that panics while it boots or restores fails the start at once.
    const lost = new Promise<never>((_, reject) => guest.onLost(reject));
    lost.catch(() => {});
    try {
      let info: AgentInfo;
      if (options.state) {
        options.onProgress?.('agent');
        info = await withTimeout(Promise.race([waitForEmulatorStart(emulator).then(() => agent.ping()), aborted, lost]), timeoutMs, guest, 'restored guest');
      } else {
        options.onProgress?.('kernel');
        info = await withTimeout(Promise.race([agent.whenReady(), aborted, lost]), timeoutMs, guest, 'booting guest');
      }
      if (link === 'bulk') {
        if (info.bulk !== BULK_PORT) {
          throw new TabdockError('EMULATOR_NO_BULK_PORT', `The guest agent has no bulk port (virtio port ${BULK_PORT} as a plain device): the snapshot or initramfs predates it; rebuild them (kernel/build-initramfs.sh, npm run snapshot).`, { agentBulk: info.bulk ?? 0 });
        }
        // switch only with nothing unacknowledged on the console port: frames never straddle the two
        await withTimeout(Promise.race([agent.quiesce(), lost]), timeoutMs, guest, 'guest link');
        sendPort = BULK_PORT;
      }
      guest.sendPort = sendPort;
    } catch (e) {
      await guest.dispose();
      throw e;
    }
    options.onProgress?.('ready');
    return guest;
  }

  /** The virtio-console port host->guest frames go on (BULK_PORT, or CONTROL_PORT with `link: 'console'`). */
  get linkPort(): number {
    return this.sendPort;
  }

  /** Agent identity (version, kernel, machine). */
  info(): Promise<AgentInfo> {
    return this.agent.ping();
  }

  /**
   * The guest went away (kernel panic, reboot): requests and processes have failed, and
   * this Guest is of no further use. Called at once if it already happened.
   */
  onLost(listener: (e: TabdockError) => void): () => void {
    if (this.lostWith) listener(this.lostWith);
    else this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Pings the agent every `intervalMs`; a guest that leaves two pings in a row unanswered
   * for `timeoutMs` is given up as lost (EMULATOR_GUEST_UNRESPONSIVE). Off by default (a
   * guest being saved must stay quiet); the engine turns it on. Returns the stop function.
   */
  watchdog(intervalMs = 5000, timeoutMs = 20_000): () => void {
    let misses = 0;
    let busy = false;
    const timer = setInterval(() => {
      if (this.lostWith || this.disposed) return stop();
      if (busy) return;
      busy = true;
      let t: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((r) => (t = setTimeout(() => r('late'), timeoutMs)));
      void Promise.race([this.agent.ping().then(() => 'ok' as const, () => 'ok' as const), late]).then((r) => {
        clearTimeout(t);
        busy = false;
        misses = r === 'late' ? misses + 1 : 0;
        if (misses >= 2) this.markLost(new TabdockError('EMULATOR_GUEST_UNRESPONSIVE', `The guest stopped answering (no reply to two pings in ${Math.round(timeoutMs / 1000)} s each); its running containers are gone.`, {}));
      });
    }, intervalMs);
    const stop = () => clearInterval(timer);
    this.stopWatchdog = stop;
    return stop;
  }

  get lost(): TabdockError | undefined {
    return this.lostWith;
  }

  private markLost(e: TabdockError): void {
    if (this.lostWith || this.disposed) return;
    this.lostWith = e;
    this.stopWatchdog?.();
    const ls = [...this.lostListeners];
    this.lostListeners.clear();
    for (const l of ls) l(e);
  }

  /** The last few KiB of the serial console (kernel log, init errors). */
  serialLog(): string {
    return this.serial;
  }

  /**
   * Save the machine state. Only a quiet guest can be saved: no running process, no
   * request or link bytes outstanding, no 9P request in flight (DESIGN "v86 facts").
   */
  async saveState(): Promise<ArrayBuffer> {
    if (this.agent.activeStreams > 0 || this.agent.activeSockets > 0) {
      throw new TabdockError('EMULATOR_BUSY', 'The guest still runs processes or connections; a snapshot must be taken while it is idle.', { streams: this.agent.activeStreams, sockets: this.agent.activeSockets });
    }
    await this.agent.quiesce();
    for (let i = 0; this.inFlight9p > 0; i++) {
      if (i > 2000) throw new TabdockError('EMULATOR_BUSY', '9P requests are still in flight; cannot save the guest state.', { inFlight: this.inFlight9p });
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.emulator.save_state();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWatchdog?.();
    this.lostListeners.clear();
    this.agent.dispose();
    await this.emulator.stop();
    await this.emulator.destroy();
  }

  private serve9p(handler: Handle9p, req: Uint8Array, reply: (r: Uint8Array) => void): void {
    this.inFlight9p++;
    let answered = false;
    handler(req, (response) => {
      if (answered) return;
      answered = true;
      this.inFlight9p--;
      reply(response);
    });
  }

  private log(text: string): void {
    this.serial = (this.serial + text).slice(-SERIAL_TAIL);
    this.onSerial?.(text);
  }
}

interface Bus {
  send(name: string, data: unknown): void;
  register(name: string, fn: (data: never) => void, thisValue?: unknown): void;
  unregister(name: string, fn: (data: never) => void): void;
}

/** The emulator's message bus (public in v86, missing from its typings). */
interface ResettableCpu {
  reboot_internal?: () => void;
}

/**
 * Calls `onReset` when the emulated machine resets (keyboard-controller or PCI reset
 * port, what Linux uses to reboot; v86 routes both through `cpu.reboot_internal`). A
 * container cannot reach those ports (no CAP_SYS_RAWIO, no /dev/port) nor reboot the
 * machine (reboot(2) in its PID namespace only ends the namespace). The CPU exists once
 * the emulator has loaded.
 */
function onMachineReset(emulator: V86, onReset: () => void): void {
  const hook = () => {
    const cpu = (emulator as unknown as { v86?: { cpu?: ResettableCpu } }).v86?.cpu;
    const original = cpu?.reboot_internal;
    if (!cpu || typeof original !== 'function') {
      throw new TabdockError('EMULATOR_UNSUPPORTED_V86', 'This v86 build does not expose its machine reset; a guest that panics could not be told apart.', {});
    }
    cpu.reboot_internal = function (this: ResettableCpu) {
      onReset();
      return original.call(this);
    };
  };
  if ((emulator as unknown as { v86?: { cpu?: unknown } }).v86?.cpu) hook();
  else emulator.add_listener('emulator-loaded', hook);
}

function busOf(emulator: V86): Bus {
  const bus = (emulator as unknown as { bus?: Bus }).bus;
  if (!bus) throw new TabdockError('EMULATOR_UNSUPPORTED_V86', 'This v86 build has no message bus; the control channel cannot be wired.', {});
  return bus;
}

interface VirtQueue {
  /** 0 until the driver has set the queue up (then its rings are not there to read). */
  avail_addr: number;
  count_requests(): number;
  desc_addr: number;
  avail_last_idx: number;
  avail_get_entry(i: number): number;
  get_descriptor(table: number, i: number): { len: number; flags: number };
}

interface VirtioConsoleDevice {
  virtio?: { queues?: VirtQueue[] };
  SendEvent?: (port: number, event: number, value: number) => void;
}

function consoleDevice(emulator: V86): VirtioConsoleDevice | undefined {
  return (emulator as unknown as { v86?: { cpu?: { devices?: { virtio_console?: VirtioConsoleDevice } } } }).v86?.cpu?.devices?.virtio_console;
}

/** virtio 1.2, 5.3.6.2: VIRTIO_CONSOLE_CONSOLE_PORT, "this port is a console". */
const VIRTIO_CONSOLE_CONSOLE_PORT = 4;

/**
 * v86 answers every port's PORT_READY with CONSOLE_PORT, so Linux turns every port into an
 * hvc tty: input then crosses hvc_console 16 bytes a pull and n_tty a byte at a time. Left
 * out for BULK_PORT, the port stays a plain virtio char device whose read() copies a whole
 * receive buffer. Only the guest's boot sees these messages (a restored state keeps the
 * layout it was saved with; snapshotMetaFits checks it). The device exists once the
 * emulator has loaded, long before the guest probes it.
 */
function plainBulkPort(emulator: V86): void {
  const hook = () => {
    const dev = consoleDevice(emulator);
    const original = dev?.SendEvent;
    if (!dev || typeof original !== 'function') {
      throw new TabdockError('EMULATOR_UNSUPPORTED_V86', 'This v86 build does not expose its virtio-console control messages; the bulk port cannot be set up.', {});
    }
    dev.SendEvent = function (this: VirtioConsoleDevice, port: number, event: number, value: number) {
      if (port === BULK_PORT && event === VIRTIO_CONSOLE_CONSOLE_PORT) return;
      original.call(this, port, event, value);
    };
  };
  if (consoleDevice(emulator)) hook();
  else emulator.add_listener('emulator-loaded', hook);
}

/** Receive buffers posted on a port's queue, if this v86 build exposes them. */
function postedBuffers(emulator: V86, port: number): number | undefined {
  try {
    const queue = consoleDevice(emulator)?.virtio?.queues?.[receiveQueueOf(port)];
    return queue?.avail_addr ? queue.count_requests() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The size of the receive buffer the guest posted next on a port (the one v86 fills with
 * the next send), if this v86 build exposes its queue: one descriptor, as Linux posts them.
 */
function nextBufferSize(emulator: V86, port: number): number | undefined {
  try {
    const queue = consoleDevice(emulator)?.virtio?.queues?.[receiveQueueOf(port)];
    if (!queue?.avail_addr || queue.count_requests() === 0) return undefined;
    const d = queue.get_descriptor(queue.desc_addr, queue.avail_get_entry(queue.avail_last_idx));
    const VIRTQ_DESC_F_NEXT = 1;
    return d.flags & VIRTQ_DESC_F_NEXT || !(d.len > 0) ? undefined : d.len >>> 0;
  } catch {
    return undefined;
  }
}

/** virtio-console queue numbering: port 0 rx is queue 0, port n>0 rx is queue 2n+2. */
function receiveQueueOf(port: number): number {
  return port === 0 ? 0 : port * 2 + 2;
}

interface WasmApi {
  instantiate(bytes: ArrayBuffer | Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}

/** WebAssembly exists in Node and workers; the repo's libs (no DOM) do not declare it. */
function wasmApi(): WasmApi {
  return (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
}

function waitForEmulatorStart(emulator: V86): Promise<void> {
  if (emulator.is_running()) return Promise.resolve();
  return new Promise((resolve) => emulator.add_listener('emulator-started', () => resolve()));
}

async function withTimeout<T>(p: Promise<T>, ms: number, guest: Guest, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TabdockError('EMULATOR_AGENT_TIMEOUT', `The ${what} did not reach its agent within ${Math.round(ms / 1000)} s.`, { serialTail: guest.serialLog().slice(-2000) }, { retryable: true })), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
