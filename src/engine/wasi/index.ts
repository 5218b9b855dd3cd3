/** The WASI runtime: WebAssembly (wasi/wasm) containers in a worker, no guest. See README.md. */
export { WasiRuntime, wasiRuntime, type WasiRuntimeDeps } from './runtime.ts';
export { fromWebWorker, type SpawnWorker, type WasiWorker, type WebWorkerLike, type RunMessage, type WorkerMessage, type FsOp } from './protocol.ts';
export { checkWasiOptions, wasiSpec, WASM32_MEMORY_MAX, type WasiProcessSpec } from './spec.ts';
export { wasmLayerPaths, wasmLayerTar, wasmLayerDiffId, withWasmEntrypoint, ensureWasiImageLayers } from './artifact.ts';
export { canShareMemory } from './stdin-channel.ts';
