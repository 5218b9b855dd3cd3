import { describe, expect, it } from 'vitest';
import { Inode, type Kind } from '../../fs-layers/index.ts';
import { resolve } from './container-files.ts';

let ino = 1;
function node(kind: Kind, children: Record<string, Inode> = {}, target?: string): Inode {
  const n = new Inode(ino++, kind, kind === 'd' ? 0o755 : 0o644, 0, 0, 0);
  if (kind === 'l') n.target = target;
  for (const [name, c] of Object.entries(children)) {
    n.children!.set(name, c);
    c.links.push({ dir: n, name });
  }
  return n;
}

const passwd = node('f');
const etc = node('d', { passwd });
const real = node('d', { file: node('f') });
const root = node('d', {
  etc,
  real,
  abs: node('l', {}, '/real'),
  rel: node('l', {}, 'real'),
  escape: node('l', {}, '../../../etc'),
  loop: node('l', {}, 'loop'),
  'link-to-passwd': node('l', {}, 'etc/passwd'),
});

describe('resolve (paths inside the container, symlinks never leave its root)', () => {
  it('finds plain paths and reports the parent of a missing last name', () => {
    expect(resolve(root, '/etc/passwd').node).toBe(passwd);
    expect(resolve(root, '/etc/./passwd').node).toBe(passwd);
    const missing = resolve(root, '/etc/new');
    expect(missing).toEqual({ node: undefined, parent: etc, name: 'new' });
    expect(resolve(root, '/nope/new').parent).toBeUndefined();
    expect(resolve(root, '/').node).toBe(root);
  });

  it('follows links in the middle of a path (absolute ones from the container root), not the last one', () => {
    expect(resolve(root, '/abs/file').node).toBe(real.children!.get('file'));
    expect(resolve(root, '/rel/file').node).toBe(real.children!.get('file'));
    expect(resolve(root, '/escape/passwd').node).toBe(passwd); // `..` stops at the root
    expect(resolve(root, '/link-to-passwd').node?.kind).toBe('l');
    expect(resolve(root, '/link-to-passwd', true).node).toBe(passwd);
    expect(resolve(root, '/../../etc/passwd').node).toBe(passwd);
  });

  it('gives up on a symlink loop', () => {
    expect(() => resolve(root, '/loop/x')).toThrow(/too many levels of symbolic links/);
  });
});
