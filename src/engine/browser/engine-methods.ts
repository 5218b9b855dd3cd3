import type { EngineApi } from '../api.ts';

/**
 * Every EngineApi method by name: what the worker serves and the page's proxy forwards.
 * The compiler checks the list is complete (a method added to the contract must be here).
 */
export const ENGINE_METHODS = [
  'version', 'pull', 'listImages', 'inspectImages', 'removeImage', 'tagImage', 'imageHistory', 'pruneImages',
  'createContainer', 'startContainer', 'attachContainer', 'waitContainer', 'stopContainer', 'killContainer',
  'restartContainer', 'removeContainer', 'listContainers', 'inspectContainer', 'containerLogs', 'execContainer',
  'containerChanges', 'statContainerPath', 'copyFromContainer', 'copyToContainer', 'pruneContainers', 'containerStats',
  'createVolume', 'listVolumes', 'inspectVolumes', 'removeVolume', 'pruneVolumes',
] as const satisfies readonly (keyof EngineApi)[];

type Missing = Exclude<keyof EngineApi, (typeof ENGINE_METHODS)[number]>;
export const ENGINE_METHODS_COMPLETE: [Missing] extends [never] ? true : Missing = true;

/** Calls after which the container list may differ. */
export const CONTAINER_CHANGES: ReadonlySet<string> = new Set(['createContainer', 'startContainer', 'waitContainer', 'stopContainer', 'killContainer', 'restartContainer', 'removeContainer', 'pruneContainers', 'removeImage']);
/** Calls after which the volume list may differ. */
export const VOLUME_CHANGES: ReadonlySet<string> = new Set(['createContainer', 'removeContainer', 'pruneContainers', 'createVolume', 'removeVolume', 'pruneVolumes']);
/** Calls after which the image list may differ. */
export const IMAGE_CHANGES: ReadonlySet<string> = new Set(['pull', 'removeImage', 'tagImage', 'pruneImages']);
/** Calls that hand back a live handle (functions): returned by reference, not copied. */
export const RETURNS_HANDLE: ReadonlySet<string> = new Set(['attachContainer', 'execContainer']);
