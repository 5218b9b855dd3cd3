import type { Command } from './command.ts';
import { kill, logs, restart, rm, start, stop, wait } from './commands/containers.ts';
import { ps } from './commands/ps.ts';
import { events } from './commands/events.ts';
import { systemDf, systemPrune } from './commands/system.ts';
import { attach, pause, rename, top, unpause, update } from './commands/container-ops.ts';
import { diff } from './commands/diff.ts';
import { history } from './commands/history.ts';
import { images } from './commands/images.ts';
import { imageInspect, inspect } from './commands/inspect.ts';
import { containerPrune, imagePrune } from './commands/prune.ts';
import { pull } from './commands/pull.ts';
import { rmi, tag } from './commands/rmi.ts';
import { commit } from './commands/commit.ts';
import { build, builderPrune } from './commands/build.ts';
import { push } from './commands/push.ts';
import { load, save } from './commands/save-load.ts';
import { exportCmd, importCmd } from './commands/export-import.ts';
import { create, exec, run } from './commands/run.ts';
import { version } from './commands/version.ts';
import { stats } from './commands/stats.ts';
import { VOLUME_COMMANDS } from './commands/volume.ts';
import { NETWORK_COMMANDS, port } from './commands/network.ts';
import { compose } from './commands/compose/index.ts';

/** Every command that works over EngineApi alone, in the order `--help` lists them. */
export const COMMON_COMMANDS: Command[] = [run, create, start, attach, exec, ps, logs, stop, kill, restart, wait, rm, rename, pause, unpause, top, update, stats, diff, commit, build, builderPrune, exportCmd, port, containerPrune, inspect, pull, push, images, imageInspect, history, imagePrune, rmi, tag, save, load, importCmd, ...VOLUME_COMMANDS, ...NETWORK_COMMANDS, events, systemDf, systemPrune, compose, version];
