import { describe, expect, it } from 'vitest';
import { additionalGroups, resolveUser } from './user.ts';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:100::/home/bob:/bin/sh
1234:x:4321:4321:numeric name:/home/n:/bin/sh
`;
const GROUP = `root:x:0:root
wheel:x:10:root,alice
users:x:100:
alice:x:1000:
audio:x:29:alice,bob
`;

// runc libcontainer/user GetExecUser, as moby's getUser calls it.
describe('resolveUser', () => {
  it.each([
    ['', { uid: 0, gid: 0, additionalGids: [0, 0, 10], home: '/root', name: 'root' }],
    ['root', { uid: 0, gid: 0, additionalGids: [0, 0, 10], home: '/root', name: 'root' }],
    ['alice', { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29], home: '/home/alice', name: 'alice' }],
    ['1000', { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29], home: '/home/alice', name: 'alice' }],
    ['bob', { uid: 1001, gid: 100, additionalGids: [100, 29], home: '/home/bob', name: 'bob' }],
    // Explicit group: no supplementary groups (runc: "only in the implicit form").
    ['alice:users', { uid: 1000, gid: 100, additionalGids: [100], home: '/home/alice', name: 'alice' }],
    ['alice:29', { uid: 1000, gid: 29, additionalGids: [29], home: '/home/alice', name: 'alice' }],
    ['1000:1000', { uid: 1000, gid: 1000, additionalGids: [1000], home: '/home/alice', name: 'alice' }],
    ['1001:wheel', { uid: 1001, gid: 10, additionalGids: [10], home: '/home/bob', name: 'bob' }],
    // A uid without an entry is fine: gid 0, HOME "/" (runc's default exec user).
    ['5000', { uid: 5000, gid: 0, additionalGids: [0], home: '/' }],
    ['5000:5000', { uid: 5000, gid: 5000, additionalGids: [5000], home: '/' }],
    ['5000:audio', { uid: 5000, gid: 29, additionalGids: [29], home: '/' }],
    // A numeric spec is always a uid, never a name (the entry named "1234" is not used).
    ['1234', { uid: 1234, gid: 0, additionalGids: [0], home: '/' }],
  ])('%j', (spec, want) => {
    expect(resolveUser(spec, PASSWD, GROUP)).toEqual(want);
  });

  it.each([
    ['nobody', 'unable to find user nobody: no matching entries in passwd file'],
    ['nobody:users', 'unable to find user nobody: no matching entries in passwd file'],
    ['alice:nogroup', 'unable to find group nogroup: no matching entries in group file'],
    ['5000:nogroup', 'unable to find group nogroup: no matching entries in group file'],
  ])('%j is refused with runc\'s sentence', (spec, message) => {
    expect(() => resolveUser(spec, PASSWD, GROUP)).toThrow(expect.objectContaining({ message, code: 'USER_NOT_FOUND' }));
  });

  it('without /etc/passwd and /etc/group: IDs work, names do not', () => {
    expect(resolveUser('', undefined, undefined)).toEqual({ uid: 0, gid: 0, additionalGids: [0], home: '/' });
    expect(resolveUser('65534:65534')).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534], home: '/' });
    expect(() => resolveUser('nobody')).toThrow('unable to find user nobody: no matching entries in passwd file');
    expect(() => resolveUser('0:staff')).toThrow('unable to find group staff: no matching entries in group file');
  });

  it('refuses IDs beyond 2^31-1', () => {
    expect(() => resolveUser('2147483648')).toThrow('uids and gids must be in range 0-2147483647');
  });

  it('first matching entry wins; malformed lines are tolerated', () => {
    const p = 'bad line\nroot:x:0:0::/r1:/bin/sh\nroot:x:0:0::/r2:/bin/sh\n';
    expect(resolveUser('root', p, '').home).toBe('/r1');
  });
});

describe('--group-add (runc GetAdditionalGroups)', () => {
  const group = 'root:x:0:\nstaff:x:50:\naudio:x:29:app\n';
  it('takes names and gids from /etc/group, other numbers as they are, each once', () => {
    expect(additionalGroups(['staff', '29', '1234', '50'], group)).toEqual([50, 29, 1234]);
    expect(additionalGroups([], undefined)).toEqual([]);
  });
  it('refuses a name the file does not have, and gids out of range', () => {
    expect(() => additionalGroups(['nosuch'], group)).toThrow('Unable to find group nosuch');
    expect(() => additionalGroups(['4294967296'], group)).toThrow('uids and gids must be in range');
  });
});
