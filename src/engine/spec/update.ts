import { TabdockError } from '../../shared/errors.ts';
import { configError } from './errors.ts';
import { parseRestartPolicy, type RestartPolicy } from './restart.ts';
import type { FlagSpec, Parsed, RunOptions } from './run-options.ts';
import { parseIntFlag, parseMemFlag, parseMemSwapFlag, parseNanoCpus } from './units.ts';

/**
 * `docker update`: new limits and restart policy for a container, running or not
 * (moby `daemon/update.go`, `container.UpdateContainer`). Only what was given changes:
 * 0 (or absent) is "leave as it is", as moby's API reads it.
 */
export interface ContainerUpdate {
  memory?: number;
  /** Memory plus swap; -1 unlimited. */
  memorySwap?: number;
  nanoCpus?: number;
  /** 0 or below: unlimited. */
  pidsLimit?: number;
  restart?: RestartPolicy;
}

/** The flags tabdock's `update` takes (docker/cli `container/update.go` names and help); others are unknown flags. */
export const UPDATE_FLAGS: FlagSpec[] = [
  { name: 'cpus', type: 'string', value: 'decimal', help: 'Number of CPUs' },
  { name: 'memory', short: 'm', type: 'string', value: 'bytes', help: 'Memory limit' },
  { name: 'memory-swap', type: 'string', value: 'bytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'pids-limit', type: 'string', value: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'restart', type: 'string', value: 'string', help: 'Restart policy to apply when a container exits' },
];

/** The CLI's half (docker/cli `runUpdate`): flag values parsed; none given is its own error. */
export function parseUpdateFlags(p: Parsed): ContainerUpdate {
  const s = (k: string) => (typeof p.flags[k] === 'string' ? (p.flags[k] as string) : undefined);
  const u: ContainerUpdate = {};
  if (s('memory') !== undefined) u.memory = parseMemFlag('-m, --memory', s('memory')!);
  if (s('memory-swap') !== undefined) u.memorySwap = parseMemSwapFlag('--memory-swap', s('memory-swap')!);
  if (s('cpus') !== undefined) u.nanoCpus = parseNanoCpus(s('cpus')!);
  if (s('pids-limit') !== undefined) u.pidsLimit = parseIntFlag('--pids-limit', s('pids-limit')!);
  if (s('restart') !== undefined) u.restart = parseRestartPolicy(s('restart')!);
  if (Object.keys(u).length === 0) throw new TabdockError('CLI_ERROR', 'You must provide one or more flags when using this command.', {});
  return u;
}

// moby verifyPlatformContainerResources (6 MiB minimum), as `run` checks it.
const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * The daemon's half: the run options with the update applied, checked as moby checks an
 * update (`verifyContainerSettings`, then `UpdateContainer`'s conflicts, those wrapped in
 * `Cannot update container ID: ...`). The swap moby fixed at create (twice the memory when
 * not given) is kept when only the memory changes.
 */
export function applyUpdate(id: string, o: RunOptions, u: ContainerUpdate, ctx: { autoRemove: boolean; cpuCount: number }): RunOptions {
  const cannot = (why: string) => configError(`Cannot update container ${id}: ${why}`);
  const memory = u.memory || undefined;
  const swap = u.memorySwap || undefined;
  if (memory !== undefined && memory < MIN_MEMORY) throw configError('Minimum memory limit allowed is 6MB');
  const nano = u.nanoCpus;
  if (nano !== undefined && (nano < 0 || nano > ctx.cpuCount * 1e9 || (nano > 0 && nano < 1e7))) {
    throw configError(`Range of CPUs is from 0.01 to ${ctx.cpuCount}.00, as there are only ${ctx.cpuCount} CPUs available`);
  }
  const next: RunOptions = { ...o };
  const oldSwap = o.memorySwap ?? (o.memory !== undefined ? o.memory * 2 : 0);
  if (memory !== undefined) {
    if (oldSwap > 0 && memory > oldSwap && swap === undefined) throw cannot('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    if (o.memory !== undefined && o.memorySwap === undefined) next.memorySwap = oldSwap;
    next.memory = memory;
  }
  if (swap !== undefined) {
    if (next.memory === undefined && swap > 0) throw configError('You should always set the Memory limit when using Memoryswap limit, see usage');
    if (swap > 0 && next.memory !== undefined && swap < next.memory) throw configError('Minimum memoryswap limit should be larger than memory limit, see usage');
    next.memorySwap = swap;
  }
  if (nano) next.nanoCpus = nano;
  if (u.pidsLimit !== undefined) next.pidsLimit = u.pidsLimit;
  if (u.restart) {
    if (ctx.autoRemove && u.restart.Name !== 'no') throw cannot('Restart policy cannot be updated because AutoRemove is enabled for the container');
    next.restart = u.restart;
  }
  return next;
}
