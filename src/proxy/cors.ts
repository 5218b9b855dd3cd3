/**
 * CORS for the browser side. No credentials mode ever: the proxy carries no cookies and
 * `Authorization` is an explicit request header the page sets, which CORS permits with a
 * preflight and `Access-Control-Allow-Headers`.
 */

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
export const ALLOWED_REQUEST_HEADERS = 'Authorization, Accept, Range, If-None-Match';
/** With the push option on: what uploads need besides (proxy-options.ts `push`). */
export const PUSH_METHODS = 'GET, HEAD, OPTIONS, POST, PUT, PATCH';
export const PUSH_REQUEST_HEADERS = 'Authorization, Accept, Range, If-None-Match, Content-Type, Content-Range';

/** What a registry client in a page needs to read (spec headers plus Docker Hub's rate figures). */
export const EXPOSED_HEADERS = [
  'Docker-Content-Digest',
  'WWW-Authenticate',
  'Content-Length',
  'Content-Range',
  'Content-Type',
  'Docker-Distribution-API-Version',
  'ETag',
  'ratelimit-limit',
  'ratelimit-remaining',
  'docker-ratelimit-source',
  'Retry-After',
  'Location',
  'Link',
].join(', ');

export type AllowedOrigins = '*' | readonly string[];

/** Whether a request's `Origin` may use the proxy at all (no `Origin`: not a browser page). */
export function originAllowed(allowed: AllowedOrigins, origin: string | null): boolean {
  return allowed === '*' || origin === null || allowed.includes(origin);
}

/** Headers added to every response, refusals included, so the page can read our errors. */
export function corsHeaders(allowed: AllowedOrigins, origin: string | null): Record<string, string> {
  const h: Record<string, string> = { 'Access-Control-Expose-Headers': EXPOSED_HEADERS };
  if (allowed === '*') {
    h['Access-Control-Allow-Origin'] = '*';
  } else {
    h['Vary'] = 'Origin';
    if (origin !== null && allowed.includes(origin)) h['Access-Control-Allow-Origin'] = origin;
  }
  return h;
}

/** Answer to a preflight; never touches the upstream. */
export function preflightHeaders(allowed: AllowedOrigins, origin: string | null, push = false): Record<string, string> {
  return {
    ...corsHeaders(allowed, origin),
    'Access-Control-Allow-Methods': push ? PUSH_METHODS : ALLOWED_METHODS,
    'Access-Control-Allow-Headers': push ? PUSH_REQUEST_HEADERS : ALLOWED_REQUEST_HEADERS,
    'Access-Control-Max-Age': '600',
  };
}
