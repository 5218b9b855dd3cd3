import { isErrorCode, type ErrorCode } from './error-codes.ts';

export { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.ts';

/**
 * One error class per failure, all from one base with a literal `code` and structured
 * `data` (isomorphic-git's habit). Errors are plain data underneath so they survive
 * comlink/postMessage and the CLI daemon socket: `toJSON()` out, `fromJSON()` back in.
 */
export interface ErrorData {
  [key: string]: unknown;
  /** The exit status is the error's own field (`ErrorOptions.exitCode`), not data. */
  exitCode?: never;
}

export interface ErrorOptions {
  /** Whether trying the same thing again may succeed (network, 429, 5xx). */
  retryable?: boolean;
  /**
   * The status a docker command ends with when this error ends it (docker run reference,
   * "Exit status": 125 the engine or a flag, 126 cannot invoke, 127 not found). Unset:
   * the command's default (125 for `run`/`create`, 1 for the rest).
   */
  exitCode?: number;
}

export interface SerializedError {
  name: 'TabdockError';
  code: ErrorCode;
  message: string;
  data: ErrorData;
  retryable: boolean;
  exitCode?: number;
}

export class TabdockError extends Error {
  override readonly name = 'TabdockError';
  readonly code: ErrorCode;
  readonly data: ErrorData;
  readonly retryable: boolean;
  readonly exitCode: number | undefined;

  constructor(code: ErrorCode, message: string, data: ErrorData = {}, opts: ErrorOptions = {}) {
    super(message);
    this.code = code;
    this.data = data;
    this.retryable = opts.retryable ?? false;
    this.exitCode = opts.exitCode;
  }

  toJSON(): SerializedError {
    return {
      name: 'TabdockError', code: this.code, message: this.message, data: this.data, retryable: this.retryable,
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
    };
  }

  /** Back from JSON; a code this build does not know (a newer peer) becomes INTERNAL with the original in data. */
  static fromJSON(e: SerializedError): TabdockError {
    const known = isErrorCode(e.code);
    return new TabdockError(known ? e.code : 'INTERNAL', e.message, known ? e.data : { ...e.data, peerCode: e.code }, {
      retryable: e.retryable, ...(typeof e.exitCode === 'number' ? { exitCode: e.exitCode } : {}),
    });
  }

  static is(e: unknown, code?: ErrorCode): e is TabdockError {
    return e instanceof TabdockError && (code === undefined || e.code === code);
  }
}

/** The message of anything thrown, for one-line user output. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
