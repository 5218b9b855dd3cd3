import { TabdockError } from '../shared/errors.ts';
import type { ProxyOptions } from './proxy-options.ts';
import type { RelayOptions } from './relay-options.ts';
import { parseCidr } from './ip-address.ts';
import { parsePortRanges } from './relay-policy.ts';

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
 * - `TABDOCK_PROXY_PUSH=host[:port],...`              allowed hosts push methods may reach (default none)
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
  const push = list(env['TABDOCK_PROXY_PUSH']);
  if (push.length > 0) options.push = push;
  const basePath = env['TABDOCK_PROXY_BASE_PATH']?.trim();
  if (basePath) options.basePath = basePath;
  return options;
}

/**
 * The Wisp relay's options from the environment (same adapters, same names style):
 *
 * - `TABDOCK_RELAY=off`                                no relay at all (`on`, the default, serves it)
 * - `TABDOCK_RELAY_ALLOW=127.0.0.1/32,10.0.0.0/8,::1`  addresses/CIDRs reachable beyond public ones
 * - `TABDOCK_RELAY_PORTS=80,443,8000-8100`              destination ports (default 80,443)
 * - `TABDOCK_RELAY_MAX_STREAMS`                         open streams per client IP (0 = no limit)
 * - `TABDOCK_RELAY_MAX_BYTES`                           bytes per client IP per hour (0 = no limit)
 *
 * `TABDOCK_PROXY_ORIGINS` applies to the relay too: a page the proxy refuses cannot open it.
 * Returns `false` when the relay is off. A value that cannot be applied is an error, never ignored.
 */
export function relayOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): RelayOptions | false {
  const switchValue = env['TABDOCK_RELAY']?.trim().toLowerCase();
  if (switchValue === 'off') return false;
  if (switchValue && switchValue !== 'on') {
    throw new TabdockError('PROXY_CONFIG_INVALID', `TABDOCK_RELAY must be "on" or "off", got "${env['TABDOCK_RELAY']}"`, { name: 'TABDOCK_RELAY', value: env['TABDOCK_RELAY'] });
  }
  const options: RelayOptions = {};
  const allow = list(env['TABDOCK_RELAY_ALLOW']);
  for (const entry of allow) {
    if (!parseCidr(entry)) {
      throw new TabdockError('PROXY_CONFIG_INVALID', `TABDOCK_RELAY_ALLOW entries are IP addresses or CIDRs (a name could resolve anywhere), got "${entry}"`, { name: 'TABDOCK_RELAY_ALLOW', value: entry });
    }
  }
  if (allow.length > 0) options.allow = allow;
  const ports = list(env['TABDOCK_RELAY_PORTS']);
  if (ports.length > 0) {
    if (!parsePortRanges(ports)) {
      throw new TabdockError('PROXY_CONFIG_INVALID', `TABDOCK_RELAY_PORTS must be ports (1-65535) or ranges like 8000-8100, got "${env['TABDOCK_RELAY_PORTS']}"`, { name: 'TABDOCK_RELAY_PORTS', value: env['TABDOCK_RELAY_PORTS'] });
    }
    options.ports = ports;
  }
  const maxStreams = number(env, 'TABDOCK_RELAY_MAX_STREAMS');
  if (maxStreams !== undefined) options.maxStreams = maxStreams;
  const maxBytes = number(env, 'TABDOCK_RELAY_MAX_BYTES');
  if (maxBytes !== undefined) options.maxBytes = maxBytes;
  const origins = list(env['TABDOCK_PROXY_ORIGINS']);
  if (origins.length > 0) options.allowedOrigins = origins.includes('*') ? '*' : origins;
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
