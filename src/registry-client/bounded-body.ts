import { TabdockError, type ErrorCode } from '../shared/errors.ts';

/**
 * Every body read whole from a registry, a token server or a mirror goes through here,
 * bounded by what its kind can honestly need: a hostile server must not make the engine
 * buffer gigabytes (V8 aborts the process, taking every container with it).
 */
export const LIMITS = {
  /** OCI distribution: registries refuse manifests over 4 MiB; containerd reads at most that. */
  manifest: 4 * 1024 * 1024,
  /** Image configs: history and env make them kilobytes; 8 MiB leaves room for the largest seen. */
  config: 8 * 1024 * 1024,
  /** A token response is a JWT or two in JSON. */
  token: 1024 * 1024,
  /** Of an error body, only the start is read: enough for the spec's `errors` JSON. */
  error: 64 * 1024,
} as const;

/** Reads all of `res`'s body, failing with `code` past `limit` bytes (declared or received). */
export async function readBounded(res: Response, limit: number, what: string, code: ErrorCode): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(code, what, limit, declared);
  }
  const out = await readUpTo(res, limit + 1);
  if (out.byteLength > limit) throw tooLarge(code, what, limit);
  return out;
}

/** The first `limit` bytes of `res`'s body (the rest is cancelled), as text. */
export async function readTextPrefix(res: Response, limit: number = LIMITS.error): Promise<string> {
  return new TextDecoder().decode(await readUpTo(res, limit).catch(() => new Uint8Array()));
}

async function readUpTo(res: Response, limit: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  try {
    while (n < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = value.subarray(0, limit - n);
      chunks.push(take);
      n += take.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

function tooLarge(code: ErrorCode, what: string, limit: number, declared?: number): TabdockError {
  const mib = (b: number) => `${Math.round((b / 1048576) * 10) / 10} MiB`;
  return new TabdockError(code, `${what} is ${declared !== undefined ? mib(declared) : 'more than that'}: more than the ${mib(limit)} tabdock accepts for it; refusing it`, {
    limit, ...(declared !== undefined ? { size: declared } : {}),
  });
}
