import type { ServiceConfig } from './model.ts';

/**
 * The Compose spec's "Merge and override" for services already in long form: mappings
 * merge key by key (environment, labels, build, deploy, networks, depends_on, healthcheck,
 * whose `test` is replaced), `command` and `entrypoint` are replaced, `ports` are appended (a duplicate once), `volumes` merge
 * by target, `env_file`, `expose` and `profiles` are appended without duplicates, scalars
 * are replaced.
 */
export function mergeService(base: ServiceConfig, over: ServiceConfig): ServiceConfig {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over) as Array<[keyof ServiceConfig, unknown]>) {
    const b = (base as Record<string, unknown>)[k];
    if (b === undefined) out[k] = v;
    else if (k === 'command' || k === 'entrypoint') out[k] = v;
    // Key by key, `test` replaced whole (compose-go's override of healthcheck.test).
    else if (k === 'healthcheck') out[k] = { ...(b as object), ...(v as object) };
    else if (k === 'ports') out[k] = unique([...(b as unknown[]), ...(v as unknown[])]);
    else if (k === 'volumes') {
      const byTarget = new Map<string, unknown>();
      for (const x of [...(b as Array<{ target: string }>), ...(v as Array<{ target: string }>)]) byTarget.set(x.target, x);
      out[k] = [...byTarget.values()];
    } else if (Array.isArray(v)) out[k] = unique([...(b as unknown[]), ...v]);
    else if (isObj(v) && isObj(b)) out[k] = deepMerge(b, v);
    else out[k] = v;
  }
  return out as ServiceConfig;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(a[k]) ? deepMerge(a[k] as Record<string, unknown>, v) : Array.isArray(v) && Array.isArray(a[k]) ? unique([...(a[k] as unknown[]), ...v]) : v;
  return out;
}

function unique(xs: unknown[]): unknown[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const key = JSON.stringify(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Top-level `networks`/`volumes` entries: merged key by key. */
export function mergeTop(a: Record<string, unknown> | undefined, b: Record<string, unknown>): Record<string, unknown> {
  return deepMerge(a ?? {}, b);
}
