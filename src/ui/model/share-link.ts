import { tokenize } from '../shell/tokenize.ts';

/** The page's URL with `?run=<command line>`: opening it runs (or offers) that line. */
export function shareUrl(pageUrl: string, line: string): string {
  const u = new URL(pageUrl);
  u.search = '';
  u.hash = '';
  u.searchParams.set('run', line);
  return u.href;
}

/** The command line a `?run=` link carries, if any. */
export function commandFromUrl(pageUrl: string): string | undefined {
  const run = new URL(pageUrl).searchParams.get('run');
  return run && run.trim() ? run : undefined;
}

/** docker commands that only create or read: a link may run them on its own. */
const READ_OR_CREATE = new Set(['run', 'create', 'pull', 'images', 'ps', 'version', 'inspect', 'logs', 'history', 'diff', 'help', '--help', '--version', 'info']);
const GROUP_READS = new Set(['ls', 'list', 'inspect', 'history']);
const BUILTINS = new Set(['help', 'echo', 'history', 'clear']);

/**
 * Whether a link's line may run on page load. A link is someone else's text: lines that
 * would remove or stop what the visitor has stored (rm, rmi, prune, stop, kill...) are
 * put at the prompt for them to read and run with Enter instead.
 */
export function autorunnable(line: string): boolean {
  const t = tokenize(line);
  if (!t.ok || t.commands.length === 0) return false;
  return t.commands.every(({ argv }) => {
    const [prog, sub, sub2] = argv;
    if (prog === undefined) return false;
    if (BUILTINS.has(prog)) return true;
    if (prog !== 'docker') return false;
    if (sub === undefined || READ_OR_CREATE.has(sub)) return true;
    if (sub === 'image' || sub === 'container' || sub === 'volume') return sub2 !== undefined && (GROUP_READS.has(sub2) || (sub === 'container' && (sub2 === 'run' || sub2 === 'create' || sub2 === 'logs')) || (sub === 'image' && sub2 === 'pull'));
    return false;
  });
}
