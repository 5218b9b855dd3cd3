import { describe, expect, it } from 'vitest';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, tmpfsOptions } from './mounts.ts';

describe('-v (moby linux_parser ParseMountRaw)', () => {
  it.each([
    ['/data', { type: 'volume', target: '/data', readOnly: false }],
    ['cache:/data', { type: 'volume', source: 'cache', target: '/data', readOnly: false }],
    ['cache:/data:ro', { type: 'volume', source: 'cache', target: '/data', readOnly: true }],
    ['cache:/data:rw,nocopy', { type: 'volume', source: 'cache', target: '/data', readOnly: false, noCopy: true }],
    ['/host/dir:/data:ro,z', { type: 'bind', source: '/host/dir', target: '/data', readOnly: true }],
    ['v1:/a/../b/', { type: 'volume', source: 'v1', target: '/b', readOnly: false }],
  ])('%s', (raw, want) => expect(parseVolumeFlag(raw)).toEqual(want));

  it.each([
    ['/data:ro', "invalid volume specification: '/data:ro'"],
    ['a:b:c:d', "invalid volume specification: 'a:b:c:d'"],
    [':/x', "invalid volume specification: ':/x'"],
    ['v:/x:rx', 'invalid mode: rx'],
    ['v:/x:ro,rw', 'invalid mode: ro,rw'],
    ['v:rel', `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    ['v:/', "invalid specification: destination can't be '/'"],
    ['bad name!:/x', '"bad name!" includes invalid characters for a local volume name'],
  ])('%s is refused', (raw, message) => expect(() => parseVolumeFlag(raw)).toThrow(message));
});

describe('--mount (docker/cli MountOpt)', () => {
  it.each([
    ['type=volume,source=vol,target=/d', { type: 'volume', source: 'vol', target: '/d', readOnly: false }],
    ['src=vol,dst=/d,readonly', { type: 'volume', source: 'vol', target: '/d', readOnly: true }],
    ['type=volume,target=/d,ro=false,volume-nocopy', { type: 'volume', target: '/d', readOnly: false, noCopy: true }],
    ['type=bind,source=/h,target=/d,ro=1', { type: 'bind', source: '/h', target: '/d', readOnly: true }],
    ['type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', { type: 'tmpfs', target: '/t', data: 'mode=1770,size=64m' }],
    ['type=tmpfs,dst=/t,tmpfs-size=1000', { type: 'tmpfs', target: '/t', data: 'size=1000' }],
  ])('%s', (raw, want) => expect(parseMountFlag(raw)).toEqual(want));

  it.each([
    ['type=volume,source=v', 'target is required'],
    ['type=nfs,target=/d', 'invalid mount type: nfs'],
    ['type=volume,target=/d,foo=bar', "unexpected key 'foo' in 'foo=bar'"],
    ['type=volume,target=/d,junk', "invalid field 'junk' must be a key=value pair"],
    ['type=bind,target=/d', 'field Source must not be empty'],
    ['type=bind,source=rel,target=/d', "invalid mount path: 'rel' mount path must be absolute"],
    ['type=tmpfs,source=x,target=/d', 'source must not be specified'],
    ['type=tmpfs,target=/d,tmpfs-size=lots', "invalid size: 'lots'"],
  ])('%s is refused', (raw, message) => expect(() => parseMountFlag(raw)).toThrow(message));
});

describe('--tmpfs and its options (moby WithMounts + MergeTmpfsOptions)', () => {
  it('splits at the first colon', () => {
    expect(parseTmpfsFlag('/run')).toEqual({ target: '/run', data: '' });
    expect(parseTmpfsFlag('/run:size=64k,mode=1777')).toEqual({ target: '/run', data: 'size=64k,mode=1777' });
    expect(() => parseTmpfsFlag('run')).toThrow('mount path must be absolute');
  });

  it.each([
    ['', ['noexec', 'nosuid', 'nodev', 'rprivate']],
    ['size=64k', ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=64k']],
    ['exec', ['nosuid', 'nodev', 'rprivate', 'exec']],
    ['rw,exec,size=1m,mode=1777', ['nosuid', 'nodev', 'rprivate', 'rw', 'exec', 'size=1m', 'mode=1777']],
    ['size=1m,size=2m', ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=2m']],
    ['ro,defaults,uid=1000,gid=1000', ['noexec', 'nosuid', 'nodev', 'rprivate', 'ro', 'uid=1000', 'gid=1000']],
  ])('%j', (data, want) => expect(tmpfsOptions(data)).toEqual(want));

  it('refuses unknown options as Go prints them', () => {
    expect(() => tmpfsOptions('foo')).toThrow('invalid tmpfs option ["foo"]');
    expect(() => tmpfsOptions('bar=1')).toThrow('invalid tmpfs option ["bar" "1"]');
  });
});

describe('volume names (moby names.RestrictedNamePattern: two characters at least)', () => {
  it('refuses a one-character name as Docker does', () => {
    expect(() => parseVolumeFlag('v:/x')).toThrow('"v" includes invalid characters for a local volume name');
  });
});
