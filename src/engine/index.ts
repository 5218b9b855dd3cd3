/** engine: Docker semantics over the registry client and the stores. */
export { ImageService, chainIds, familiar, type ImageServiceDeps, type RemoveResult } from './images.ts';
export { ImageStore } from './image-store.ts';
export { pullImage, type PullEvent, type PullOptions, type PullResult, type LayerStatus } from './pull.ts';
export type { ImageRecord, LayerRecord, Repositories } from './image-record.ts';
export { inspectImage } from './inspect.ts';
export { Engine, ENGINE_VERSION } from './engine.ts';
export type { EngineApi, ImageSummary, PullSummary, ContainerSummary, ContainerApi, ExecRequest, LogOptions } from './api.ts';
export type { CreateRequest, Attachment } from './containers/service.ts';
export type { ContainerRecord } from './containers/record.ts';
export type { ContainerRuntime, RuntimeProcess, RuntimeExit, StartRequest } from './containers/runtime.ts';
export { GuestRuntime, guestBundlePath, type GuestRuntimeDeps } from './containers/guest-runtime.ts';
export { guestSpec } from './containers/guest-spec.ts';
export type { Change, CopyEntry, PathStat } from './containers/container-files.ts';
export { imageHistory, type ImageHistoryItem } from './image-history.ts';
export type { ImagePruneReport } from './image-prune.ts';
export { WasiRuntime, createWasiRuntime, fromWebWorker, type WasiRuntimeDeps, type SpawnWorker, type WasiWorker, type WebWorkerLike } from './wasi/index.ts';
