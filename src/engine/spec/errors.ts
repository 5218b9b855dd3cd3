import { TabdockError, type ErrorCode } from '../../shared/errors.ts';
import { EXIT_ENGINE_ERROR } from './exit-codes.ts';

/**
 * Errors of the run-spec core. Two kinds, as in Docker: the CLI's flag errors
 * (`invalid argument "12x" for "-m, --memory" flag: ...`, code FLAG_ERROR) and the
 * daemon's refusals of a config (`No command specified`, code INVALID_CONFIG or a more
 * specific one). Both end a `run` with exit status 125.
 */
export function flagError(message: string, data: Record<string, unknown> = {}): TabdockError {
  return new TabdockError('FLAG_ERROR', message, data, { exitCode: EXIT_ENGINE_ERROR });
}

/** pflag's sentence for a value its Set() refused (spf13/pflag `flag.go`, failf). */
export function invalidFlagValue(flag: string, value: string, reason: string): TabdockError {
  return flagError(`invalid argument "${value}" for "${flag}" flag: ${reason}`, { flag, value });
}

export function configError(message: string, code: ErrorCode = 'INVALID_CONFIG', data: Record<string, unknown> = {}): TabdockError {
  return new TabdockError(code, message, data, { exitCode: EXIT_ENGINE_ERROR });
}
