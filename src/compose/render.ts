import { stringify } from 'yaml';
import type { Project } from './model.ts';

/** Keys in byte order, recursively (lists keep theirs), as compose's `config` prints them. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sorted(o[k])]));
  }
  return v;
}

/** `docker compose config`: the resolved model as YAML (name, services, networks, volumes). */
export function renderProject(p: Project): string {
  const out: Record<string, unknown> = { name: p.name, services: sorted(p.services) };
  if (Object.keys(p.networks).length) out['networks'] = sorted(p.networks);
  if (Object.keys(p.volumes).length) out['volumes'] = sorted(p.volumes);
  return stringify(out, { indent: 2, lineWidth: 0, nullStr: 'null' });
}

/**
 * The hash compose puts in `com.docker.compose.config-hash`: SHA-256 of the service's
 * resolved config (keys sorted), so a second `up` knows an unchanged service.
 */
export async function configHash(service: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(sorted(service)));
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}
