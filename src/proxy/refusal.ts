/**
 * Refusals in the registry error format (OCI distribution spec, "Error Codes"), so the
 * registry client shows them like any registry error. Every message starts with
 * "tabdock proxy:" so a user can tell the proxy said no, not the registry.
 */

export type RefusalCode = 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS' | 'SIZE_INVALID' | 'UNAVAILABLE';

export function refusal(
  status: number,
  code: RefusalCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body = JSON.stringify({ errors: [{ code, message: `tabdock proxy: ${message}` }] });
  return new Response(body, {
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
