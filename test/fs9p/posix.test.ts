/**
 * A table of POSIX behaviours, run by the real Linux 9p client in the guest against our
 * 9P2000.L server, each checked from both sides: the guest's view (stdout of a busybox
 * script over the mount) and the host's (the container tree, and at the end the store
 * reopened from disk). Needs the guest artifacts (kernel/images).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerFs, Inode } from '../../src/fs-layers/index.ts';
import { lookupPath } from '../../src/fs-layers/index.ts';
import { FORGET, TREE_MOUNT_OPTIONS } from '../../src/engine/containers/guest-runtime.ts';
import { MNT, startPosixRig, type PosixRig } from './guest-posix-fixture.ts';

let rig: PosixRig;

beforeAll(async () => {
  // Mounted as the engine mounts container trees, with its rules: the guest's writes are in
  // the tree when write() returns, and it forgets its cache after the host changed the tree.
  rig = await startPosixRig({ options: TREE_MOUNT_OPTIONS });
  console.log(`guest ${rig.boot} boot to agent-ready with our 9P server: ${Math.round(rig.bootMs)} ms`);
}, 300_000);

afterAll(async () => {
  await rig?.dispose();
});

it('runs on the guest restored from the snapshot (the global setup requires one)', () => {
  // A cold boot here means kernel/snapshot is stale: `npm run snapshot` makes a fitting one.
  expect(rig.boot, rig.coldBootReason).toBe('snapshot');
});

const at = (fs: ContainerFs, p: string): Inode | undefined => lookupPath(fs.root, p);
const text = async (fs: ContainerFs, p: string) => new TextDecoder().decode(await fs.read(at(fs, p)!, 0, at(fs, p)!.size));

interface Case {
  name: string;
  /** busybox sh, run with the mount as the working directory. */
  script: string;
  stdout: string | RegExp;
  /** What the host sees in the container tree afterwards. */
  host?: (fs: ContainerFs) => Promise<void> | void;
  timeout?: number;
}

const CASES: Case[] = [
  {
    name: 'create and write',
    script: 'echo hello > t-create; cat t-create',
    stdout: 'hello\n',
    host: async (fs) => expect(await text(fs, 't-create')).toBe('hello\n'),
  },
  {
    name: 'append',
    script: 'echo a > t-append; echo b >> t-append; cat t-append',
    stdout: 'a\nb\n',
    host: async (fs) => expect(await text(fs, 't-append')).toBe('a\nb\n'),
  },
  {
    name: 'truncate down and up (zeros after the cut)',
    script: 'printf 0123456789 > t-trunc; truncate -s 4 t-trunc; truncate -s 6 t-trunc; stat -c %s t-trunc; od -An -c t-trunc | tr -s " "',
    stdout: '6\n 0 1 2 3 \\0 \\0\n',
    host: (fs) => expect(at(fs, 't-trunc')!.size).toBe(6),
  },
  {
    name: 'sparse file',
    script: 'dd if=/dev/zero of=t-sparse bs=1 count=1 seek=10485759 2>/dev/null; printf x | dd of=t-sparse bs=1 seek=5000000 conv=notrunc 2>/dev/null; stat -c %s t-sparse; dd if=t-sparse bs=1 skip=5000000 count=1 2>/dev/null',
    stdout: '10485760\nx',
    host: (fs) => {
      const n = at(fs, 't-sparse')!;
      expect(n.size).toBe(10485760);
    },
  },
  {
    name: 'rename over an existing file',
    script: 'echo new > t-ra; echo old > t-rb; mv t-ra t-rb; cat t-rb; ls t-ra 2>&1 | grep -c "No such"',
    stdout: 'new\n1\n',
    host: async (fs) => {
      expect(await text(fs, 't-rb')).toBe('new\n');
      expect(at(fs, 't-ra')).toBeUndefined();
    },
  },
  {
    name: 'unlink an open file: still readable through the open descriptor',
    script: 'echo still-here > t-open; exec 3< t-open; rm t-open; cat <&3; ls t-open 2>&1 | grep -c "No such"',
    stdout: 'still-here\n1\n',
    host: (fs) => expect(at(fs, 't-open')).toBeUndefined(),
  },
  {
    name: 'hard links share an inode',
    script: 'echo x > t-h1; ln t-h1 t-h2; echo y >> t-h2; stat -c %h t-h1; cat t-h1; [ "$(stat -c %i t-h1)" = "$(stat -c %i t-h2)" ] && echo same',
    stdout: '2\nx\ny\nsame\n',
    host: (fs) => expect(at(fs, 't-h1')).toBe(at(fs, 't-h2')),
  },
  {
    name: 'symlinks',
    script: 'ln -s t-create t-sym; readlink t-sym; cat t-sym',
    stdout: 't-create\nhello\n',
    host: (fs) => expect(at(fs, 't-sym')!.target).toBe('t-create'),
  },
  {
    name: 'chmod, chown, utimes',
    script: 'touch t-meta; chmod 640 t-meta; chown 12:34 t-meta; touch -d "2001-02-03 04:05:06" t-meta; stat -c "%a %u %g %Y" t-meta',
    stdout: '640 12 34 981173106\n',
    host: (fs) => {
      const n = at(fs, 't-meta')!;
      expect([n.mode, n.uid, n.gid, Math.floor(n.mtime)]).toEqual([0o640, 12, 34, 981173106]);
    },
  },
  {
    name: 'mkdir and rmdir (not when non-empty)',
    script: 'mkdir -p t-d/e; echo f > t-d/e/f; rmdir t-d/e 2>/dev/null || echo busy; rm t-d/e/f; rmdir t-d/e; rmdir t-d; ls -d t-d 2>&1 | grep -c "No such"',
    stdout: 'busy\n1\n',
    host: (fs) => expect(at(fs, 't-d')).toBeUndefined(),
  },
  {
    name: 'rename a directory of the image (copy-up of names only)',
    script: 'mv etc t-etc; cat t-etc/group | head -1; ls etc 2>&1 | grep -c "No such"',
    stdout: /^root:x:0:.*\n1\n$/,
    host: (fs) => {
      expect(at(fs, 'etc')).toBeUndefined();
      expect(fs.rw.records.get('etc')).toEqual({ p: 'etc', w: 1 });
    },
  },
  {
    name: 'big file written and read back byte-exact',
    script: 'dd if=/dev/urandom of=t-rand bs=65536 count=48 2>/dev/null; sha256sum t-rand | cut -d" " -f1',
    stdout: /^[0-9a-f]{64}\n$/,
    host: async (fs) => {
      const n = at(fs, 't-rand')!;
      expect(n.size).toBe(48 * 65536);
      const got = (await rig.sh(`cd ${MNT} && sha256sum t-rand | cut -d" " -f1`)).stdout.trim();
      expect(createHash('sha256').update(await fs.read(n, 0, n.size)).digest('hex')).toBe(got);
    },
  },
  {
    name: 'a directory of 10,000 entries',
    script: 'mkdir t-many; cd t-many; seq 1 10000 | xargs touch; ls | wc -l; ls -a | wc -l',
    stdout: '10000\n10002\n',
    host: (fs) => expect(at(fs, 't-many')!.children!.size).toBe(10000),
    timeout: 300_000,
  },
  {
    name: 'concurrent appenders',
    script: 'for w in 1 2 3 4; do (i=0; while [ $i -lt 100 ]; do echo "writer$w line$i" >> t-log; i=$((i+1)); done) & done; wait; wc -l < t-log; grep -c "^writer[1-4] line[0-9]*$" t-log',
    stdout: '400\n400\n',
    host: async (fs) => {
      const lines = (await text(fs, 't-log')).trim().split('\n');
      expect(lines.length).toBe(400);
      for (let w = 1; w <= 4; w++) expect(lines.filter((l) => l.startsWith(`writer${w} `)).length).toBe(100);
    },
    timeout: 300_000,
  },
];

describe('POSIX over the real Linux 9p client', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      // No sync before the host looks: the guest writes through (TREE_MOUNT_OPTIONS), and the
      // engine reads a running container's tree without one.
      const out = await rig.sh(`cd ${MNT} && ${c.script}`);
      if (typeof c.stdout === 'string') expect(out.stdout).toBe(c.stdout);
      else expect(out.stdout).toMatch(c.stdout);
      await c.host?.(rig.fs);
    }, c.timeout ?? 120_000);
  }

  it('a file the host changed behind the guest, after it read it, reads anew once the guest forgot its cache', async () => {
    expect((await rig.sh(`cd ${MNT} && echo guest-wrote > t-behind && cat t-behind`)).stdout).toBe('guest-wrote\n');
    // The engine's `docker cp` into a running container: the host writes the tree directly.
    const node = at(rig.fs, 't-behind')!;
    const bytes = new TextEncoder().encode('host wrote this, longer\n');
    await rig.fs.setattr(node, { size: 0 });
    await rig.fs.write(node, 0, bytes);
    expect((await rig.sh(FORGET)).status).toBe(0);
    expect((await rig.sh(`cat ${MNT}/t-behind`)).stdout).toBe('host wrote this, longer\n');
  }, 120_000);

  it('everything the guest did is in the store: a reopened store shows the same tree', async () => {
    await rig.guest.agent.sync?.();
    await rig.fs.sync();
    const again = await rig.reopen();
    for (const p of ['t-create', 't-append', 't-rb', 't-h1', 't-log', 't-etc/passwd']) {
      expect(await text(again, p)).toBe(await text(rig.fs, p));
    }
    expect(at(again, 't-h1')).toBe(at(again, 't-h2'));
    expect(at(again, 't-many')!.children!.size).toBe(10000);
    expect(at(again, 'etc')).toBeUndefined();
    expect(at(again, 't-sparse')!.size).toBe(10485760);
  }, 120_000);
});
