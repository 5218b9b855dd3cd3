/**
 * engine/spec: the pure core of `docker run`: flags -> RunOptions -> OCI config.json,
 * plus Docker's exit codes and signals. No I/O; see README.md for the rules and sources.
 */
export { RUN_FLAGS, parseRunOptions, validateContainerName } from './run-flags.ts';
export type { FlagSpec, Parsed, PortMapping, RunOptions, RunOptionsContext, Ulimit } from './run-options.ts';
export { buildOciSpec, limitResources, pathsToEnsure, effectivePidsLimit, DEFAULT_PIDS_LIMIT, CPU_PERIOD_US, INIT_PATH_IN_CONTAINER, type OciSpecInput, type ResolvedVolume } from './oci-spec.ts';
export type * from './oci-types.ts';
export { validateOciSpec } from './validate-oci-spec.ts';
export { resolveCommand } from './command.ts';
export { containerEnv, execEnv, mergeImageEnv, replaceOrAppendEnv, parseEnvFile, parseEnvFlag, DEFAULT_PATH } from './env.ts';
export { resolveUser, additionalGroups, parsePasswd, parseGroup, type ResolvedUser } from './user.ts';
export { tweakCapabilities, normalizeCapabilities, DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from './capabilities.ts';
export { defaultSeccompProfile } from './seccomp-default.ts';
export { MASKED_PATHS, READONLY_PATHS, DEFAULT_SHM_SIZE, OCI_VERSION } from './oci-defaults.ts';
export { parseVolumeFlag, parseMountFlag, parseTmpfsFlag, tmpfsOptions, type VolumeMount, type TmpfsMount } from './mounts.ts';
export { parseRamBytes, parseNanoCpus } from './units.ts';
export { parseSignal, signalName, SIGNALS, type Signal } from './signals.ts';
export {
  exitCodeForStartError, exitCodeForProcess, exitCodeForError, type ProcessEnd,
  EXIT_ENGINE_ERROR, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, EXIT_SIGNAL_BASE,
} from './exit-codes.ts';
export {
  mergeContainerConfig, stopSignalOf, stopTimeoutOf, anonymousVolumeTargets, type MergedConfig,
  DEFAULT_STOP_SIGNAL, DEFAULT_STOP_TIMEOUT_S,
} from './container-config.ts';
export { parseRestartPolicy, shouldRestart, nextRestartDelay, NO_RESTART, RESTART_FIRST_DELAY_MS, RESTART_MAX_DELAY_MS, type RestartPolicy } from './restart.ts';
export { checkExecLimits, ARG_MAX, MAX_ARG_STRLEN } from './exec-limits.ts';
export { apiTimestampNanos, rfc3339Nanos } from './timestamp.ts';
export { UPDATE_FLAGS, parseUpdateFlags, applyUpdate, type ContainerUpdate } from './update.ts';
