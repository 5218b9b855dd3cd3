/**
 * emulator: the tabdock guest in v86 — boot and snapshot, the control channel to the
 * guest agent, 9P served by the caller. Platform-neutral; Node-only helpers live in
 * ./node.ts (artifact loading, state compression).
 */
export { Guest, CONTROL_PORT, BULK_PORT, DEFAULT_MEMORY, GUEST_MEMORY_RANGE, guestMemoryProblem, KERNEL_CMDLINE, SNAPSHOT_CMDLINE } from './guest.ts';
export type { GuestOptions, GuestImages, Handle9p, BootPhase } from './guest.ts';
export { AgentClient } from './agent-client.ts';
export type {
  AgentTransport, AgentInfo, ProcessOptions, RunOptions, ExecOptions, MountOptions, ContainerEntry, NetCreateOptions, NetAttachOptions, OpenRequest, OpenHandler, Datagram,
} from './agent-client.ts';
export { GuestSocket } from './guest-socket.ts';
export { pipeSocket } from './socket-pipe.ts';
export type { PipeEnd } from './socket-pipe.ts';
export { GuestProcess } from './guest-process.ts';
export type { OutputFd, OutputListener } from './guest-process.ts';
export { decompressState, snapshotMetaFits } from './snapshot.ts';
export type { SnapshotMeta } from './snapshot.ts';
export { refuse9p } from './refuse9p.ts';
export { PROTO_VERSION } from './protocol.ts';
export { loadEmulatorAsset, verifyEmulator, parseSums } from './emulator-files.ts';
