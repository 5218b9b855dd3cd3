import { TabdockError } from '../../shared/errors.ts';

/**
 * `--user` / the image's `User`, resolved against the container's /etc/passwd and
 * /etc/group as runc's `libcontainer/user` `GetExecUser` does (which moby's `getUser`
 * in daemon/oci_linux.go calls):
 * - `name` or `uid`; optionally `:group` or `:gid`. A numeric part is always an ID, and
 *   an ID without an entry is fine; a name without an entry is an error.
 * - the primary group is the passwd entry's, unless a group is given explicitly;
 * - supplementary groups are those listing the user by name, only in the implicit form
 *   (no `:group`); moby then puts the primary gid first in additionalGids.
 * - HOME is the passwd entry's directory; runc's default without an entry is `/`.
 */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
  /** The passwd entry's name, when one matched. */
  name?: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1; // runc: "for 32-bit systems compatibility"

/** Go's strconv.Atoi on a field: "x" -> NaN; runc ignores conversion errors as 0. */
function atoi(s: string): number {
  return /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
}

function field(parts: string[], i: number): string {
  return parts[i] ?? '';
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const p = line.split(':');
    out.push({ name: field(p, 0), uid: atoi(field(p, 2)) || 0, gid: atoi(field(p, 3)) || 0, home: field(p, 5) });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const p = line.split(':');
    const list = field(p, 3);
    out.push({ name: field(p, 0), gid: atoi(field(p, 2)) || 0, members: list ? list.split(',') : [] });
  }
  return out;
}

function userError(message: string, spec: string): TabdockError {
  return new TabdockError('USER_NOT_FOUND', message, { user: spec }, { exitCode: 125 });
}

function rangeError(spec: string): TabdockError {
  return new TabdockError('INVALID_CONFIG', `uids and gids must be in range 0-${MAX_ID}`, { user: spec }, { exitCode: 125 });
}

/**
 * `--group-add` (runc `GetAdditionalGroups`, which moby's getUser appends to the user's
 * groups): each a group name or gid of the container's /etc/group, else a number (in
 * range), else `Unable to find group X`; each gid once.
 */
export function additionalGroups(wanted: string[], group?: string): number[] {
  const groups = group === undefined ? [] : parseGroup(group);
  const out: number[] = [];
  for (const ag of wanted) {
    const g = groups.find((x) => x.name === ag || String(x.gid) === ag);
    let gid: number;
    if (g) gid = g.gid;
    else {
      if (!/^[+-]?\d+$/.test(ag)) throw userError(`Unable to find group ${ag}`, ag);
      gid = Number(ag);
      if (gid < 0 || gid > MAX_ID) throw rangeError(ag);
    }
    if (!out.includes(gid)) out.push(gid);
  }
  return out;
}

/**
 * Resolve a user spec. `passwd`/`group` are the files' contents, or undefined when the
 * image has none (then names cannot resolve, IDs still do).
 */
export function resolveUser(spec: string, passwd?: string, group?: string): ResolvedUser {
  const [userArg = '', groupArg = ''] = spec.split(':');
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const users = passwd === undefined ? [] : parsePasswd(passwd);
  const groups = group === undefined ? [] : parseGroup(group);

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  // An empty user means the current one (uid 0), looked up like a uid.
  const match = users.find((u) => (userArg === '' ? u.uid === 0 : Number.isNaN(uidArg) ? u.name === userArg : u.uid === uidArg));
  if (match) {
    ({ uid, gid, home, name } = match);
  } else if (userArg !== '') {
    if (Number.isNaN(uidArg)) throw userError(`unable to find user ${userArg}: no matching entries in passwd file`, spec);
    if (uidArg < 0 || uidArg > MAX_ID) throw rangeError(spec);
    uid = uidArg;
  }

  let supplementary: number[] = [];
  if (groupArg !== '') {
    const g = groups.find((x) => (Number.isNaN(gidArg) ? x.name === groupArg : x.gid === gidArg));
    if (g) gid = g.gid;
    else if (Number.isNaN(gidArg)) throw userError(`unable to find group ${groupArg}: no matching entries in group file`, spec);
    else if (gidArg < 0 || gidArg > MAX_ID) throw rangeError(spec);
    else gid = gidArg;
  } else if (name !== undefined) {
    supplementary = groups.filter((g) => g.members.includes(name!)).map((g) => g.gid);
  }
  // moby getUser: AdditionalGids = [gid, ...Sgids].
  return { uid, gid, additionalGids: [gid, ...supplementary], home, ...(name !== undefined ? { name } : {}) };
}
