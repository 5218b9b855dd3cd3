import type { EngineApi } from './api.ts';

/**
 * The one RPC contract of both transports (the CLI daemon's socket, the page's worker
 * through comlink): the methods a client may call, and which calls hand back a live handle
 * and what ends its stream. A method not listed here is refused by both (`dispose`,
 * `init`: the owner's, never a client's). The compiler checks the list is complete.
 */
export const RPC_METHODS = [
  'version', 'pull', 'listImages', 'inspectImages', 'removeImage', 'tagImage', 'imageHistory', 'pruneImages', 'diskUsage', 'commitContainer', 'push', 'saveImages', 'loadImages', 'exportContainer', 'importImage', 'build', 'pruneBuildCache',
  'createContainer', 'startContainer', 'attachContainer', 'waitContainer', 'stopContainer', 'killContainer',
  'restartContainer', 'removeContainer', 'listContainers', 'inspectContainer', 'containerLogs', 'execContainer',
  'containerChanges', 'statContainerPath', 'copyFromContainer', 'copyToContainer', 'pruneContainers', 'containerStats',
  'renameContainer', 'pauseContainer', 'unpauseContainer', 'topContainer', 'updateContainer',
  'createVolume', 'listVolumes', 'inspectVolumes', 'removeVolume', 'pruneVolumes',
  'createNetwork', 'listNetworks', 'inspectNetworks', 'removeNetwork', 'pruneNetworks', 'connectNetwork', 'disconnectNetwork',
  'subscribeEvents',
] as const satisfies readonly (keyof EngineApi)[];

export type RpcMethod = (typeof RPC_METHODS)[number];

type Missing = Exclude<keyof EngineApi, RpcMethod>;
export const RPC_METHODS_COMPLETE: [Missing] extends [never] ? true : Missing = true;

export const isRpcMethod = (m: string): m is RpcMethod => (RPC_METHODS as readonly string[]).includes(m);

/**
 * Calls that return a live handle (functions, crossing by reference), and the handle
 * methods whose settling ends its stream as the caller sees it. Until then the call's
 * callbacks (output, events) stay valid; after it, both sides release the handle and them.
 */
export const HANDLE_ENDS: Partial<Record<RpcMethod, readonly string[]>> = {
  attachContainer: ['detach'],
  execContainer: ['wait', 'detach'],
  subscribeEvents: ['close'],
};

/**
 * Calls that stop when the caller leaves (its connection closes): the serving side puts an
 * AbortSignal of its own as `signal` in the options argument at this index. A pull whose
 * client is gone would otherwise keep downloading into the store with nobody to tell.
 */
export const CANCEL_ON_LEAVE: Partial<Record<RpcMethod, number>> = {
  pull: 1,
  build: 0,
};

/**
 * On a handle the engine returns: resolves when its stream has ended on the engine's side
 * (attach: detached or the container exited; exec: the process exited; a subscription:
 * closed). A symbol, so it never crosses a transport; the serving side releases the
 * caller's callbacks then.
 */
export const STREAM_END: unique symbol = Symbol('tabdock.streamEnd');

/** Calls `onEnd` once, after the first of the handle's stream-ending methods settles (the caller's side). */
export function onHandleEnd<T extends object>(method: RpcMethod, handle: T, onEnd: () => void): T {
  const ends = HANDLE_ENDS[method];
  if (!ends) return handle;
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    onEnd();
  };
  const out: Record<string, unknown> = { ...(handle as Record<string, unknown>) };
  for (const name of ends) {
    const f = out[name];
    if (typeof f !== 'function') continue;
    out[name] = async (...args: unknown[]) => {
      try {
        return await (f as (...a: unknown[]) => unknown)(...args);
      } finally {
        end();
      }
    };
  }
  return out as T;
}
