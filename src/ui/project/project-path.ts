import { TabdockError } from '../../shared/errors.ts';

/**
 * Paths in the files panel's project: relative to the context root, `/`-separated, no
 * `.` or `..` parts (a build context cannot reach above its root), no empty parts.
 */

/** A name typed or dropped (`./a//b/`, `/a/b`, `a\b` from Windows) as a project path; refuses what cannot be one. */
export function projectPath(input: string): string {
  const parts = input.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new TabdockError('INVALID_ARGUMENT', `"${input}" is not a file name: give a name such as Dockerfile or src/app.sh`, { path: input });
  if (parts.includes('..')) throw new TabdockError('INVALID_ARGUMENT', `"${input}" leaves the project: a build context has no "..", name a path inside it`, { path: input });
  if (parts.some((p) => p.includes('\0'))) throw new TabdockError('INVALID_ARGUMENT', `"${input.replace(/\0/g, '\\0')}" has a NUL character, which no file name may hold`, { path: input });
  return parts.join('/');
}

/** The directories a path implies (`a/b/c` -> `a`, `a/b`). */
export function parentDirs(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Refuses a file at `path` when the project's other files make it a directory (`a` when
 * `a/b` exists) or make one of its parents a file (`a/b` when `a` is a file): a tree
 * cannot hold both.
 */
export function checkPlace(paths: Iterable<string>, path: string, replacing?: string): void {
  const dirs = new Set(parentDirs(path));
  for (const p of paths) {
    if (p === replacing || p === path) continue;
    if (dirs.has(p)) throw new TabdockError('CONFLICT', `cannot add ${path}: ${p} is a file, not a folder; rename or delete ${p} first`, { path, file: p });
    if (p.startsWith(path + '/')) throw new TabdockError('CONFLICT', `cannot add ${path}: the project has a folder of that name (${p}); pick another name`, { path, file: p });
  }
}
