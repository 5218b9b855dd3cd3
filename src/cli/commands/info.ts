import { statfsSync } from 'node:fs';
import { VERSION } from '../../docker-cli/commands/version.ts';
import { humanSize } from '../../docker-cli/format.ts';
import { bytesSize } from '../../docker-cli/commands/stats.ts';
import { DEFAULT_MEMORY } from '../../shared/guest-memory.ts';
import { GoTemplate, TemplateExecError, TemplateParseError } from '../../docker-cli/gotemplate/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { loadSettings } from '../home.ts';
import type { GuestBoot } from '../node-guest.ts';
import type { NodeCommand } from './command.ts';

/**
 * The store's room as containers see it (`df`): the cap (TABDOCK_STORE_MAX / store-max)
 * or the disk holding $TABDOCK_HOME, and what is free of it (statfs).
 */
function storeRoom(home: string, cap: number | undefined): { total: number; free: number } | undefined {
  try {
    const s = statfsSync(home);
    const disk = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    return { total: cap !== undefined ? Math.min(cap, disk) : disk, free: cap !== undefined ? Math.min(cap, free) : free };
  } catch {
    return undefined;
  }
}

/**
 * `docker info`'s shape, for the fields tabdock has; `Guest Boot` says how the guest
 * starts and why, `Store` the room its images and containers have. `-f` runs a Go
 * template over Docker's `types.Info` field names (and `StoreSize`/`StoreFree`), as
 * docker/cli's `formatInfo` does (a template that does not parse: exit 64).
 */
export const info: NodeCommand = {
  name: 'info',
  aliases: ['system info'],
  usage: 'info [OPTIONS]',
  description: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', help: 'Format the output using the given Go template' }],
  args: [0, 0],
  async run(p, { io, engine, runtime }) {
    const format = p.flags['format'] as string | undefined;
    let tmpl: GoTemplate | undefined;
    if (format) {
      try {
        tmpl = GoTemplate.parse(format);
      } catch (e) {
        if (e instanceof TemplateParseError) throw new TabdockError('TEMPLATE_ERROR', `Template parsing error: ${e.message}`, {}, { exitCode: 64 });
        throw e;
      }
    }
    const settings = await loadSettings(io.env);
    const e = await engine();
    const [containers, images, boot] = await Promise.all([e.listContainers({ all: true }), e.listImages(), import('../node-guest.ts').then((g) => g.guestBoot(g.guestSetting(io.env, settings)))]);
    const running = containers.filter((c) => c.State === 'running' || c.State === 'restarting').length;
    const paused = containers.filter((c) => c.State === 'paused').length;
    const room = storeRoom(settings.home, settings.storeMax);
    // The guest's memory as it will be (or is): the snapshot's, or the setting's for one made or a cold boot.
    const memTotal = boot.kind === 'off' ? 0 : boot.memoryBytes ?? DEFAULT_MEMORY;
    if (tmpl) {
      const data = {
        ID: '', Containers: containers.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: containers.length - running - paused,
        Images: images.length, Driver: 'tabdock', DockerRootDir: settings.home, ServerVersion: VERSION, OSType: 'linux', Architecture: 'i386', NCPU: 1,
        OperatingSystem: 'tabdock (Linux in v86)', DefaultRuntime: 'crun', Runtimes: { crun: { path: 'crun' }, 'tabdock-wasi': { path: 'tabdock-wasi' } },
        RegistryConfig: { InsecureRegistryCIDRs: [], Mirrors: settings.mirrors, IndexConfigs: {} }, Warnings: null,
        MemTotal: memTotal, StoreSize: room?.total ?? 0, StoreFree: room?.free ?? 0,
      };
      try {
        io.out(`${tmpl.execute(data)}\n`);
      } catch (err) {
        if (err instanceof TemplateExecError) throw new TabdockError('TEMPLATE_ERROR', `template: ${err.message.replace(/^template: /, '')}`, {});
        throw err;
      }
      return 0;
    }
    const list = (name: string, xs: string[]) => (xs.length ? ` ${name}:\n${xs.map((x) => `  ${x}\n`).join('')}` : '');
    io.out(
      `Client:\n Version:    ${VERSION}\n${runtime ? ` Runtime:    ${runtime}\n` : ''}\n` +
      `Server:\n Containers: ${containers.length}\n  Running: ${running}\n  Paused: ${paused}\n  Stopped: ${containers.length - running - paused}\n` +
      ` Images: ${images.length}\n Server Version: ${VERSION}\n` +
      ' Runtimes: crun (linux/386, in the v86 guest) tabdock-wasi (wasi/wasm)\n' +
      ` Guest Boot: ${describe(boot)}\n` +
      (memTotal ? ` Total Memory: ${bytesSize(memTotal)}${settings.guestMemory !== undefined ? ' (guest-memory)' : ''}\n` : '') +
      ` Docker Root Dir: ${settings.home}\n` +
      (room ? ` Store: ${humanSize(room.free, 4)} free of ${humanSize(room.total, 4)}${settings.storeMax !== undefined ? ' (store-max)' : ''}\n` : '') +
      list('Insecure Registries', settings.insecureRegistries) +
      list('Registry Mirrors', settings.mirrors),
    );
    return 0;
  },
};

function describe(b: GuestBoot): string {
  if (b.kind === 'snapshot') return `restores the snapshot ${b.path}`;
  if (b.kind === 'make') return `makes a snapshot with ${b.memoryBytes / (1024 * 1024)} MiB of memory at the first Linux container, then restores it (${b.path})`;
  return `${b.kind === 'off' ? 'off' : 'cold boot'} (${b.reason})`;
}
