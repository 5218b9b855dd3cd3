import { TabdockError } from '../shared/errors.ts';
import type { ProxyOptions } from './proxy-options.ts';

/**
 * Proxy options from environment variables (Node server, Vite plugin, edge worker all
 * read the same names):
 *
 * - `TABDOCK_PROXY_ALLOW=host[:port],*.suffix,...`   hosts added to the built-in list
 * - `TABDOCK_INSECURE_REGISTRIES=host[:port],...`    plain HTTP, for hosts also allowed
 * - `TABDOCK_PROXY_ORIGINS=https://a.example,...`     page origins allowed (default `*`)
 * - `TABDOCK_PROXY_RATE_BURST`, `TABDOCK_PROXY_RATE_PER_SECOND`   token bucket; burst 0 = off
 * - `TABDOCK_PROXY_MAX_BLOB_BYTES`, `TABDOCK_PROXY_MAX_MANIFEST_BYTES`
 * - `TABDOCK_PROXY_BASE_PATH`                          where the handler is mounted
 */
export function proxyOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ProxyOptions {
  const options: ProxyOptions = {};
  const allow = list(env['TABDOCK_PROXY_ALLOW']);
  if (allow.length > 0) options.allow = allow;
  const insecure = list(env['TABDOCK_INSECURE_REGISTRIES']);
  if (insecure.length > 0) options.insecure = insecure;
  const origins = list(env['TABDOCK_PROXY_ORIGINS']);
  if (origins.length > 0) options.allowedOrigins = origins.includes('*') ? '*' : origins;

  const burst = number(env, 'TABDOCK_PROXY_RATE_BURST');
  const perSecond = number(env, 'TABDOCK_PROXY_RATE_PER_SECOND');
  if (burst === 0) options.rateLimit = false;
  else if (burst !== undefined || perSecond !== undefined) {
    options.rateLimit = { burst: burst ?? 600, perSecond: perSecond ?? 10 };
  }
  const maxBlob = number(env, 'TABDOCK_PROXY_MAX_BLOB_BYTES');
  if (maxBlob !== undefined) options.maxBlobBytes = maxBlob;
  const maxManifest = number(env, 'TABDOCK_PROXY_MAX_MANIFEST_BYTES');
  if (maxManifest !== undefined) options.maxManifestBytes = maxManifest;
  const basePath = env['TABDOCK_PROXY_BASE_PATH']?.trim();
  if (basePath) options.basePath = basePath;
  return options;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function number(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new TabdockError('PROXY_CONFIG_INVALID', `${name} must be a non-negative number, got "${raw}"`, { name, value: raw });
  }
  return n;
}
