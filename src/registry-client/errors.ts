import { TabdockError } from '../shared/errors.ts';
import { proxyFailureOf } from '../shared/proxy-failure.ts';

/**
 * Registry failures as sentences a user can act on, keeping the distribution spec's
 * error codes (OCI distribution spec, "Error Codes") in `data.registryCodes`.
 */
export interface RegistryErrorContext {
  registry: string;
  repository?: string;
  /** What was asked for, in the familiar form the user typed (`busybox:1.36`). */
  what?: string;
}

interface SpecError {
  code?: string;
  message?: string;
  detail?: unknown;
}

export function parseErrorBody(text: string): SpecError[] {
  try {
    const j = JSON.parse(text) as { errors?: SpecError[] };
    return Array.isArray(j.errors) ? j.errors : [];
  } catch {
    return [];
  }
}

/** Docker Hub's `ratelimit-limit: 100;w=21600` figures. */
export function rateLimitFigures(h: Headers): { limit?: number; remaining?: number; windowSeconds?: number; retryAfterSeconds?: number } {
  const num = (v: string | null) => (v === null ? undefined : Number.parseInt(v, 10));
  const win = /;w=(\d+)/.exec(h.get('ratelimit-limit') ?? '')?.[1];
  const ra = h.get('retry-after');
  let retryAfterSeconds: number | undefined;
  if (ra !== null) {
    const n = Number(ra);
    retryAfterSeconds = Number.isFinite(n) ? n : Math.max(0, Math.round((Date.parse(ra) - Date.now()) / 1000));
  }
  return {
    limit: num(h.get('ratelimit-limit')),
    remaining: num(h.get('ratelimit-remaining')),
    windowSeconds: win === undefined ? undefined : Number(win),
    retryAfterSeconds,
  };
}

export function httpError(status: number, headers: Headers, bodyText: string, ctx: RegistryErrorContext): TabdockError {
  const errors = parseErrorBody(bodyText);
  const codes = errors.map((e) => e.code ?? '').filter(Boolean);
  const detail = errors.map((e) => [e.code?.toLowerCase(), e.message].filter(Boolean).join(': ')).join('; ') || `HTTP ${status}`;
  const data = { status, registryCodes: codes, registry: ctx.registry, repository: ctx.repository, detail };
  const what = ctx.what ?? ctx.repository ?? ctx.registry;
  const repoName = ctx.repository ?? what;

  if (status === 429 || codes.includes('TOOMANYREQUESTS')) {
    const f = rateLimitFigures(headers);
    const figures = [
      f.limit !== undefined ? `limit ${f.limit} pulls${f.windowSeconds ? ` per ${formatSeconds(f.windowSeconds)}` : ''}` : undefined,
      f.remaining !== undefined ? `${f.remaining} remaining` : undefined,
      f.retryAfterSeconds !== undefined ? `retry after ${formatSeconds(f.retryAfterSeconds)}` : undefined,
    ].filter(Boolean);
    return new TabdockError(
      'RATE_LIMITED',
      `${ctx.registry} rate-limited the pull of ${what}${figures.length ? ` (${figures.join(', ')})` : ''}: wait and try again, or authenticate to get a higher limit`,
      { ...data, ...f },
      { retryable: true },
    );
  }
  if (codes.includes('MANIFEST_UNKNOWN') || (status === 404 && ctx.what !== undefined && !codes.includes('NAME_UNKNOWN') && !codes.includes('BLOB_UNKNOWN'))) {
    return new TabdockError('MANIFEST_UNKNOWN', `manifest for ${what} not found: manifest unknown`, data);
  }
  if (codes.includes('NAME_UNKNOWN')) {
    return new TabdockError('NAME_UNKNOWN', `repository ${repoName} not found on ${ctx.registry}: check the name, or whether it needs credentials`, data);
  }
  if (codes.includes('BLOB_UNKNOWN') || status === 404) {
    return new TabdockError('BLOB_UNKNOWN', `${ctx.registry} does not have a blob that ${what} needs (${detail}): the image in the registry is incomplete`, data);
  }
  if (status === 401 || codes.includes('UNAUTHORIZED')) {
    return new TabdockError(
      'UNAUTHORIZED',
      `pull access denied for ${repoName}, repository does not exist or may require credentials (${detail})`,
      data,
    );
  }
  if (status === 403 || codes.includes('DENIED')) {
    return new TabdockError('DENIED', `access to ${repoName} on ${ctx.registry} was denied: ${detail}`, data);
  }
  // The CORS proxy could not connect: for the user that is the registry being
  // unreachable, as without a proxy. The proxy says so as data (shared/proxy-failure.ts).
  const proxy = errors.map((e) => proxyFailureOf(e.detail)).find((f) => f !== undefined);
  if (proxy?.reason === 'UPSTREAM_UNREACHABLE') {
    const cause = proxy.cause ?? `HTTP ${status}`;
    return new TabdockError('REGISTRY_UNREACHABLE', `cannot reach registry ${ctx.registry}: ${cause} (through the CORS proxy)`, { ...data, viaProxy: true, cause }, { retryable: true });
  }
  if (status >= 500) {
    return new TabdockError('REGISTRY_UNAVAILABLE', `${ctx.registry} answered ${status} (${detail}): the registry is having trouble, try again later`, data, { retryable: true });
  }
  return new TabdockError('REGISTRY_ERROR', `${ctx.registry} refused the request for ${what}: ${detail}`, data);
}

/** A fetch that failed below HTTP (refused, reset, DNS, TLS). */
export function networkError(e: unknown, url: string, registry: string): TabdockError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? '';
  const msg = cause?.message ?? (e instanceof Error ? e.message : String(e));
  if (/wrong version number|packet length too long|ERR_SSL/i.test(`${code} ${msg}`)) {
    return new TabdockError(
      'TLS_TO_PLAIN_HTTP',
      `${registry}: http: server gave HTTP response to HTTPS client; if it is a plain-HTTP registry you trust, add it to insecure-registries in $TABDOCK_HOME/daemon.json or TABDOCK_INSECURE_REGISTRIES`,
      { url, registry },
    );
  }
  const why = [code, msg].filter(Boolean).join(' ');
  return new TabdockError('REGISTRY_UNREACHABLE', `cannot reach registry ${registry}: ${why}`, { url, registry, cause: why }, { retryable: true });
}

function formatSeconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
