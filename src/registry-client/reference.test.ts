import { describe, expect, it } from 'vitest';
import { parseReference, usesDefaultTag } from './reference.ts';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference (Docker normalisation)', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest', 'registry-1.docker.io', 'alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19', 'registry-1.docker.io', 'alpine:3.19'],
    ['library/alpine', 'docker.io/library/alpine:latest', 'registry-1.docker.io', 'alpine:latest'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest', 'registry-1.docker.io', 'alpine:latest'],
    ['index.docker.io/alpine', 'docker.io/library/alpine:latest', 'registry-1.docker.io', 'alpine:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1', 'registry-1.docker.io', 'user/app:v1'],
    ['user/app', 'docker.io/user/app:latest', 'registry-1.docker.io', 'user/app:latest'],
    ['ghcr.io/o/app', 'ghcr.io/o/app:latest', 'ghcr.io', 'ghcr.io/o/app:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost', 'localhost/app:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000', 'localhost:5000/a/b:t'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest', '127.0.0.1:5000', '127.0.0.1:5000/busybox:latest'],
    ['Registry/app', 'Registry/app:latest', 'Registry', 'Registry/app:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000', '[::1]:5000/app:latest'],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, 'registry-1.docker.io', `alpine@${D}`],
    [`alpine:3@${D}`, `docker.io/library/alpine:3@${D}`, 'registry-1.docker.io', `alpine:3@${D}`],
    ['a__b/c-d---e.f', 'docker.io/a__b/c-d---e.f:latest', 'registry-1.docker.io', 'a__b/c-d---e.f:latest'],
  ])('%s', (input, full, apiHost, familiar) => {
    const r = parseReference(input);
    expect(r.toString()).toBe(full);
    expect(r.apiHost).toBe(apiHost);
    expect(r.familiar()).toBe(familiar);
  });

  it('pins the digest when a tag and a digest are both given', () => {
    const r = parseReference(`alpine:3@${D}`);
    expect(r.manifestRef).toBe(D);
    expect(r.tag).toBe('3');
  });

  it.each([
    ['Alpine', 'invalid reference format: repository name (library/Alpine) must be lowercase'],
    ['user/App:v1', 'invalid reference format: repository name (user/App) must be lowercase'],
    ['alpine:', 'invalid reference format'],
    ['alpine::x', 'invalid reference format'],
    ['-alpine', 'invalid reference format'],
    ['alpine:-x', 'invalid reference format'],
    ['alpine@sha256:abc', 'invalid reference format'],
    ['a'.repeat(64).replace(/a/g, 'f'), 'invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings'],
    ['', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['a__b.c-d/e', 'invalid reference format'],
    [`alpine@md5:${'a'.repeat(32)}`, 'invalid reference format: unsupported digest md5:' + 'a'.repeat(32)],
    ['x/' + 'a'.repeat(260), 'invalid reference format: repository name must not be more than 255 characters'],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
  });

  it('knows when the default tag was used', () => {
    expect(usesDefaultTag('alpine')).toBe(true);
    expect(usesDefaultTag('localhost:5000/alpine')).toBe(true);
    expect(usesDefaultTag('alpine:3')).toBe(false);
    expect(usesDefaultTag(`alpine@${D}`)).toBe(false);
  });
});
