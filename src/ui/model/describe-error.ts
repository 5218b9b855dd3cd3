import { isErrorCode, type ErrorCode } from '../../shared/error-codes.ts';

/** What the page shows for a failure: a short headline and the engine's sentence. */
export interface ErrorView {
  code: ErrorCode | 'ERROR';
  headline: string;
  sentence: string;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  data?: Record<string, unknown>;
}

/**
 * Turns a TabdockError (or its JSON from an engine event, or any thrown value) into a
 * headline and a sentence. The engine's messages already say what happened and what to
 * do; the headline names the kind of trouble at a glance (no registry reachable, no
 * linux/386 variant, rate limited, storage full).
 */
export function describeError(e: unknown): ErrorView {
  const x: ErrorLike = typeof e === 'object' && e !== null ? (e as ErrorLike) : { message: String(e) };
  const quota = x.name === 'QuotaExceededError';
  const code: ErrorCode | 'ERROR' = quota ? 'STORE_FULL' : isErrorCode(x.code) ? x.code : 'ERROR';
  const message = typeof x.message === 'string' && x.message ? x.message : String(e);
  const data = x.data ?? {};
  if (code === 'REGISTRY_UNREACHABLE' && data['viaProxy'] === true && typeof data['cause'] === 'string') {
    return { code, headline: headline(code, data), sentence: sentence(proxyCouldNotConnect(String(data['registry'] ?? 'the registry'), data['cause'])) };
  }
  return { code, headline: headline(code, data), sentence: sentence(forThePage(message)) };
}

/**
 * Through the page's CORS proxy, a registry that does not answer is REGISTRY_UNREACHABLE
 * with `viaProxy` and the proxy's `cause` as data (the proxy says what failed as a code,
 * shared/proxy-failure.ts). The sentence gives the cause without the fetch wording, plus
 * what to check.
 */
function proxyCouldNotConnect(registry: string, why: string): string {
  const trimmed = why.replace(/[.\s]+$/, '');
  const cause = /^fetch failed \((.+)\)$/.exec(trimmed)?.[1] ?? trimmed;
  return `cannot reach registry ${registry}: ${cause}; check the registry in the image name, or try again later`;
}

function headline(code: ErrorCode | 'ERROR', data: Record<string, unknown>): string {
  switch (code) {
    case 'REGISTRY_UNREACHABLE':
      return 'Registry unreachable';
    case 'NO_MATCHING_PLATFORM':
      return `No ${typeof data['wanted'] === 'string' ? data['wanted'] : 'linux/386'} variant`;
    case 'RATE_LIMITED':
      return 'Rate limited';
    case 'STORE_FULL':
      return 'Storage full';
    case 'NAME_UNKNOWN':
    case 'MANIFEST_UNKNOWN':
    case 'UNAUTHORIZED':
    case 'NO_SUCH_IMAGE':
      return 'Image not found';
    case 'DENIED':
      return 'Access denied';
    case 'REGISTRY_UNAVAILABLE':
      return 'Registry unavailable';
    case 'TLS_TO_PLAIN_HTTP':
      return 'Plain-HTTP registry';
    case 'CONFLICT':
      return 'Conflict';
    case 'NO_SUCH_CONTAINER':
      return 'No such container';
    case 'RESET_BLOCKED':
      return 'Reset blocked';
    default:
      return 'Error';
  }
}

/** The engine's advice names the Node CLI's commands; in the page they are docker's. */
function forThePage(message: string): string {
  return message.replace(/'tabdock (rmi|image prune|volume prune|container prune)/g, "'docker $1");
}

/** First letter up (unless the sentence starts with a host or a name), a full stop at the end, one line. */
export function sentence(message: string): string {
  let s = message.replace(/\s+/g, ' ').trim();
  if (!s) return 'Something went wrong.';
  if (/^[a-z]+(?![.:/\w-])/.test(s)) s = s[0]!.toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
