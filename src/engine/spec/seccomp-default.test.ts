import { describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.ts';
import { defaultSeccompProfile } from './seccomp-default.ts';

const allowedPlain = (caps: readonly string[]) =>
  new Set(defaultSeccompProfile(caps).syscalls!.flatMap((r) => (r.action === 'SCMP_ACT_ALLOW' && !r.args ? r.names : [])));

describe('defaultSeccompProfile (moby profiles/seccomp)', () => {
  it('denies with EPERM by default, for x86', () => {
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES)).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86'] });
  });

  it('the allow-list has no duplicates and the basics of a libc program', () => {
    const first = defaultSeccompProfile([]).syscalls![0]!.names;
    expect(new Set(first).size).toBe(first.length);
    for (const n of ['read', 'write', 'openat', 'execve', 'mmap2', 'exit_group', 'socketcall', 'fstat64', '_llseek', 'set_thread_area', 'futex_time64', 'clock_gettime64', 'statx', 'rseq']) {
      expect(first).toContain(n);
    }
  });

  it.each([
    // Refused to every container without the matching capability, as in Docker.
    ['mount', 'CAP_SYS_ADMIN'],
    ['umount2', 'CAP_SYS_ADMIN'],
    ['unshare', 'CAP_SYS_ADMIN'],
    ['setns', 'CAP_SYS_ADMIN'],
    ['sethostname', 'CAP_SYS_ADMIN'],
    ['init_module', 'CAP_SYS_MODULE'],
    ['finit_module', 'CAP_SYS_MODULE'],
    ['reboot', 'CAP_SYS_BOOT'],
    ['settimeofday', 'CAP_SYS_TIME'],
    ['iopl', 'CAP_SYS_RAWIO'],
    ['acct', 'CAP_SYS_PACCT'],
    ['vhangup', 'CAP_SYS_TTY_CONFIG'],
    ['open_by_handle_at', 'CAP_DAC_READ_SEARCH'],
  ])('%s needs %s', (name, cap) => {
    expect(allowedPlain(DEFAULT_CAPABILITIES).has(name)).toBe(false);
    expect(allowedPlain([...DEFAULT_CAPABILITIES, cap]).has(name)).toBe(true);
  });

  it.each(['kexec_load', 'add_key', 'keyctl', 'request_key', 'swapon', 'pivot_root', 'userfaultfd', 'arch_prctl', 'uselib', 'nfsservctl'])(
    '%s is never allowed, even with every capability',
    (name) => expect(allowedPlain(ALL_CAPABILITIES).has(name)).toBe(false),
  );

  it('personality only to the listed personas', () => {
    const p = defaultSeccompProfile([]).syscalls!.filter((r) => r.names.includes('personality'));
    expect(p.map((r) => r.args![0]!.value)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });
});
