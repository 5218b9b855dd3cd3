/**
 * Every code a TabdockError may carry, grouped by the part that raises it. A code is
 * checked by the compiler wherever it is made or tested (`TabdockError.is(e, 'CODE')`),
 * so a typo fails the build instead of a check that silently never matches.
 */
export const ERROR_CODES = [
  // Anything not foreseen (wrapped at a boundary) and RPC plumbing.
  'INTERNAL', 'RPC_UNKNOWN', 'RPC_REFUSED', 'RPC_BAD_MESSAGE', 'DAEMON_GONE', 'DAEMON_RUNNING', 'DAEMON_START_FAILED', 'STORE_IN_USE', 'WORKER_NOT_INITIALISED', 'RESETTING', 'RESET_BLOCKED',
  // References, digests, platforms (registry-client).
  'INVALID_REFERENCE', 'INVALID_DIGEST', 'INVALID_PLATFORM', 'NO_MATCHING_PLATFORM', 'UNSUPPORTED_PLATFORM',
  // The registry and the way to it.
  'REGISTRY_UNREACHABLE', 'REGISTRY_TIMEOUT', 'REGISTRY_STALLED', 'REGISTRY_UNAVAILABLE', 'REGISTRY_ERROR', 'RATE_LIMITED', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UNKNOWN',
  'UNAUTHORIZED', 'DENIED', 'AUTH_FAILED', 'AUTH_CHALLENGE_INVALID', 'INSECURE_REALM', 'TLS_TO_PLAIN_HTTP', 'TOO_MANY_REDIRECTS',
  'MANIFEST_INVALID', 'MANIFEST_UNSUPPORTED', 'MANIFEST_TOO_LARGE', 'CONFIG_TOO_LARGE', 'DIGEST_MISMATCH', 'SIZE_MISMATCH', 'DOWNLOAD_INTERRUPTED', 'DOWNLOAD_CANCELLED',
  'PROXY_URL_INVALID', 'PROXY_CONFIG_INVALID', 'PULL_FAILED',
  // Stores and layers (fs-layers).
  'STORE_FULL', 'BLOB_GONE', 'BLOB_EMPTY', 'CHUNK_MISSING', 'LAYER_MISSING', 'LAYER_CORRUPT', 'LAYER_UNSAFE', 'UNSUPPORTED_LAYER', 'DIFF_ID_MISMATCH',
  // Docker's objects (engine).
  'NO_SUCH_IMAGE', 'NO_SUCH_CONTAINER', 'NO_SUCH_OBJECT', 'NO_SUCH_PATH', 'AMBIGUOUS_ID', 'CONFLICT', 'READ_ONLY', 'UNSUPPORTED', 'NO_RUNTIME',
  'CP_ORDER', 'CP_LOOP', 'CP_KIND', 'COMMIT_CHANGED', 'ARCHIVE_INVALID',
  // docker build's frontend (build/): a Dockerfile or .dockerignore that does not parse or
  // refers to what is not there, a flag or instruction feature refused, a missing --target.
  'DOCKERFILE_INVALID', 'DOCKERFILE_UNSUPPORTED', 'BUILD_TARGET_NOT_FOUND', 'BUILD_CONTEXT_INVALID', 'BUILD_CONTEXT_TOO_LARGE', 'BUILD_STEP_FAILED', 'BUILD_SOURCE_NOT_FOUND', 'BUILD_CANCELLED',
  // docker compose (compose/): a compose file that does not load, or asks what tabdock refuses.
  'COMPOSE_FILE_INVALID', 'COMPOSE_UNSUPPORTED',
  // An API argument the engine cannot read (logs/events `since`, `update`'s values).
  'INVALID_ARGUMENT',
  // Networks and published ports (engine/network).
  'NO_SUCH_NETWORK', 'INVALID_NETWORK_CONFIG', 'NETWORK_IN_USE', 'PORT_ALLOCATED', 'PORT_NOT_PUBLISHED',
  // docker run's flags and the config built from them (engine/spec); all exit 125.
  'FLAG_ERROR', 'INVALID_CONFIG', 'INVALID_NAME', 'INVALID_MOUNT', 'INVALID_CAPABILITY', 'INVALID_SIGNAL', 'USER_NOT_FOUND', 'NO_COMMAND',
  'INIT_UNAVAILABLE', 'CONFIG_INVALID', 'INVALID_VOLUME_NAME',
  // The docker CLI's own checks: a --format template that does not parse or run, a --filter it does not know.
  'TEMPLATE_ERROR', 'INVALID_FILTER',
  // The docker CLI's own refusals, printed as they are (no daemon prefix), exit 1 unless said.
  'CLI_ERROR',
  // Starting the command (126/127) and WebAssembly containers.
  'EXEC_NOT_FOUND', 'EXEC_FAILED', 'WASI_TREE_TOO_LARGE',
  // The guest and the emulator.
  'GUEST_DISABLED', 'GUEST_WRITE_FAILED', 'GUEST_COMMAND_FAILED', 'AGENT_REQUEST_FAILED',
  'EMULATOR_BAD_FRAME', 'EMULATOR_FRAME_TOO_LONG', 'EMULATOR_BAD_FIELD', 'EMULATOR_ASSETS_UNREACHABLE', 'EMULATOR_ARTIFACT_MISSING', 'EMULATOR_FAILED',
  'EMULATOR_DISPOSED', 'EMULATOR_BUSY', 'EMULATOR_ABORTED', 'EMULATOR_STDIN_CLOSED', 'EMULATOR_SOCKET_CLOSED', 'EMULATOR_AGENT_TIMEOUT',
  'EMULATOR_NO_KERNEL', 'EMULATOR_MEMORY_TOO_SMALL', 'EMULATOR_UNSUPPORTED_V86', 'EMULATOR_ZSTD_FAILED',
  'EMULATOR_NO_SNAPSHOT', 'EMULATOR_STALE_SNAPSHOT', 'EMULATOR_BAD_SNAPSHOT',
  'EMULATOR_NO_BULK_PORT', 'EMULATOR_BAD_OPTION',
  'EMULATOR_GUEST_LOST', 'EMULATOR_GUEST_RESTARTED', 'EMULATOR_GUEST_UNRESPONSIVE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether a string from the other side of a boundary is one of our codes. */
export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && KNOWN.has(s);
}
