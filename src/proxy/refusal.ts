import type { ProxyFailure, ProxyFailureReason } from '../shared/proxy-failure.ts';

/**
 * Refusals in the registry error format (OCI distribution spec, "Error Codes"), so the
 * registry client shows them like any registry error. Every message starts with
 * "tabdock proxy:" so a user can tell the proxy said no, not the registry; what failed
 * travels as data in `detail.tabdockProxy` (shared/proxy-failure.ts), for clients.
 */

export type RefusalCode = 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS' | 'SIZE_INVALID' | 'UNAVAILABLE';

export function refusal(
  status: number,
  code: RefusalCode,
  message: string,
  headers: Record<string, string> = {},
  failure: ProxyFailure = { reason: REASON_OF[code] },
): Response {
  const body = JSON.stringify({ errors: [{ code, message: `tabdock proxy: ${message}`, detail: { tabdockProxy: failure } }] });
  return new Response(body, {
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; sandbox" },
  });
}

const REASON_OF: Record<RefusalCode, ProxyFailureReason> = {
  DENIED: 'REFUSED', UNSUPPORTED: 'REFUSED', TOOMANYREQUESTS: 'RATE_LIMITED', SIZE_INVALID: 'TOO_LARGE', UNAVAILABLE: 'INTERNAL',
};
