/**
 * One error class per failure, all from one base with a literal `code` and structured
 * `data` (isomorphic-git's habit). Errors are plain data underneath so they survive
 * comlink/postMessage and the CLI daemon socket: `toJSON()` out, `fromJSON()` back in.
 */
export interface ErrorData {
  [key: string]: unknown;
}

export interface SerializedError {
  name: 'TabdockError';
  code: string;
  message: string;
  data: ErrorData;
  retryable: boolean;
}

export class TabdockError extends Error {
  override readonly name = 'TabdockError';
  readonly code: string;
  readonly data: ErrorData;
  /** Whether trying the same thing again may succeed (network, 429, 5xx). */
  readonly retryable: boolean;

  constructor(code: string, message: string, data: ErrorData = {}, retryable = false) {
    super(message);
    this.code = code;
    this.data = data;
    this.retryable = retryable;
  }

  toJSON(): SerializedError {
    return { name: 'TabdockError', code: this.code, message: this.message, data: this.data, retryable: this.retryable };
  }

  static fromJSON(e: SerializedError): TabdockError {
    return new TabdockError(e.code, e.message, e.data, e.retryable);
  }

  static is(e: unknown, code?: string): e is TabdockError {
    return e instanceof TabdockError && (code === undefined || e.code === code);
  }
}

/** The message of anything thrown, for one-line user output. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
