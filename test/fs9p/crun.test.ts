/**
 * The whole path: a real image (umoci `busybox` fixture) unpacked by fs-layers, its
 * container tree served by our 9P server to the guest, and run by crun there; what the
 * container wrote lands in the writable layer (docker diff) and in the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes, lookupPath } from '../../src/fs-layers/index.ts';
import { ociConfig } from '../guest/guest-fixture.ts';
import { WHITEOUT_RESULT } from '../support/index.ts';
import { FORGET, TREE_MOUNT_OPTIONS } from '../../src/engine/containers/guest-runtime.ts';
import { startPosixRig, type PosixRig } from './guest-posix-fixture.ts';

let rig: PosixRig;

beforeAll(async () => {
  rig = await startPosixRig({ extra: ['whiteouts'], shared: true, options: TREE_MOUNT_OPTIONS });
}, 300_000);

afterAll(async () => {
  await rig?.dispose();
});

async function run(id: string, args: string[]) {
  const config = ociConfig({ args, rootPath: rig.mnt, hostname: id });
  const made = await rig.sh(`mkdir -p /tmp/${id} && printf '%s' '${config}' > /tmp/${id}/config.json`);
  expect(made.status).toBe(0);
  const proc = await rig.guest.agent.run({ id, bundle: `/tmp/${id}` });
  const out = await proc.output();
  await rig.guest.agent.delete(id).catch(() => {});
  // What the engine does at every exit (guest-runtime.ts TREE_MOUNT_OPTIONS).
  expect((await rig.sh(FORGET)).status).toBe(0);
  return out;
}

describe('crun runs a container from our union filesystem over 9P', () => {
  it('runs the image\'s shell, reads its files, and its writes land in the writable layer', async () => {
    const out = await run('c1', ['/bin/sh', '-c', 'echo hello from $(hostname); head -1 /etc/passwd; echo written > /root/note; ls /bin | wc -l']);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const [hello, passwd, count] = out.stdout.trim().split('\n');
    expect(hello).toBe('hello from c1');
    expect(passwd).toMatch(/^root:x:0:0:/);
    // busybox and its 18 applet links (test/support/fixture-builders.ts BUSYBOX_APPLETS).
    expect(count).toBe('19');
    const note = lookupPath(rig.fs.root, 'root/note')!;
    expect(new TextDecoder().decode(await rig.fs.read(note, 0, 100))).toBe('written\n');
    expect(changes(rig.fs)).toContainEqual({ kind: 'A', path: '/root/note' });
    await rig.fs.sync();
    const again = await rig.reopen();
    expect(lookupPath(again.root, 'root/note')!.size).toBe(8);
  }, 120_000);

  it('the shared root lists the trees', async () => {
    expect((await rig.sh('ls /mnt/all')).stdout).toBe('posix\nwhiteouts\n');
  });

  it('the guest sees exactly the tree Docker would of an image whose layers delete, replace and re-create', async () => {
    // One mount serves every tree: the whiteouts image sits beside the busybox container.
    const out = await rig.sh('cd /mnt/all/whiteouts && for f in $(find . -type f | sort); do printf "%s=%s|" "${f#./}" "$(cat $f)"; done; echo; find . -type d | sort | tr "\\n" " "');
    expect(out.status).toBe(0);
    const [files, dirs] = out.stdout.split('\n');
    const want = Object.entries(WHITEOUT_RESULT).sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, c]) => `${p}=${c.replace(/\n$/, '')}|`).join('');
    expect(files).toBe(want);
    expect(dirs!.trim().split(' ')).toEqual(['.', './etc', './file2dir', './opaque']);
  }, 120_000);

  it('returns the exit status of the container process', async () => {
    expect((await run('c2', ['/bin/sh', '-c', 'exit 7'])).status).toBe(7);
  }, 120_000);
});
