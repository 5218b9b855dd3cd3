import { VERSION } from '../../docker-cli/commands/version.ts';
import { loadSettings } from '../home.ts';
import type { GuestBoot } from '../node-guest.ts';
import type { NodeCommand } from './command.ts';

/** `docker info`'s shape, for the fields tabdock has; `Guest Boot` says how the guest starts and why. */
export const info: NodeCommand = {
  name: 'info',
  usage: 'info',
  description: 'Display system-wide information',
  flags: [],
  args: [0, 0],
  async run(_p, { io, engine, runtime }) {
    const settings = await loadSettings(io.env);
    const e = await engine();
    const [containers, images, boot] = await Promise.all([e.listContainers({ all: true }), e.listImages(), import('../node-guest.ts').then((g) => g.guestBoot(io.env))]);
    const running = containers.filter((c) => c.State === 'running').length;
    const paused = containers.filter((c) => c.State === 'paused').length;
    const list = (name: string, xs: string[]) => (xs.length ? ` ${name}:\n${xs.map((x) => `  ${x}\n`).join('')}` : '');
    io.out(
      `Client:\n Version:    ${VERSION}\n${runtime ? ` Runtime:    ${runtime}\n` : ''}\n` +
      `Server:\n Containers: ${containers.length}\n  Running: ${running}\n  Paused: ${paused}\n  Stopped: ${containers.length - running - paused}\n` +
      ` Images: ${images.length}\n Server Version: ${VERSION}\n` +
      ' Runtimes: crun (linux/386, in the v86 guest) tabdock-wasi (wasi/wasm)\n' +
      ` Guest Boot: ${describe(boot)}\n` +
      ` Docker Root Dir: ${settings.home}\n` +
      list('Insecure Registries', settings.insecureRegistries) +
      list('Registry Mirrors', settings.mirrors),
    );
    return 0;
  },
};

function describe(b: GuestBoot): string {
  if (b.kind === 'snapshot') return `restores the snapshot ${b.path}`;
  return `${b.kind === 'off' ? 'off' : 'cold boot'} (${b.reason})`;
}
