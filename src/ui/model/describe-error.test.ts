import { expect, it } from 'vitest';
import { describeError, sentence } from './describe-error.ts';

it.each([
  [{ code: 'REGISTRY_UNREACHABLE', message: 'cannot reach registry 127.0.0.1:9: Failed to fetch', data: {} }, 'Registry unreachable', 'Cannot reach registry 127.0.0.1:9: Failed to fetch.'],
  [
    { code: 'NO_MATCHING_PLATFORM', message: 'no matching manifest for linux/386 in the manifest list entries of x:1; it has linux/amd64, linux/arm64/v8. tabdock runs 32-bit x86 (linux/386) images, the only kind its emulator can run.', data: { wanted: 'linux/386' } },
    'No linux/386 variant',
    'No matching manifest for linux/386 in the manifest list entries of x:1; it has linux/amd64, linux/arm64/v8. tabdock runs 32-bit x86 (linux/386) images, the only kind its emulator can run.',
  ],
  [{ code: 'RATE_LIMITED', message: 'docker.io rate-limited the pull of busybox (limit 100 pulls per 6 h): wait and try again', data: {} }, 'Rate limited', 'docker.io rate-limited the pull of busybox (limit 100 pulls per 6 h): wait and try again.'],
  [{ code: 'STORE_FULL', message: "the store is full (10.0 MiB used): remove images with 'tabdock rmi' (then 'tabdock image prune') to free space", data: {} }, 'Storage full', "The store is full (10.0 MiB used): remove images with 'docker rmi' (then 'docker image prune') to free space."],
  [{ name: 'QuotaExceededError', message: 'The quota has been exceeded.' }, 'Storage full', 'The quota has been exceeded.'],
  [
    { code: 'REGISTRY_UNREACHABLE', message: 'cannot reach registry 127.0.0.1:9: fetch failed (connect ECONNREFUSED 127.0.0.1:9) (through the CORS proxy)', data: { status: 502, registry: '127.0.0.1:9', viaProxy: true, cause: 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)' } },
    'Registry unreachable',
    'Cannot reach registry 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9; check the registry in the image name, or try again later.',
  ],
  [new Error('boom'), 'Error', 'Boom.'],
  ['plain text', 'Error', 'Plain text.'],
])('%j', (e, headline, text) => {
  const v = describeError(e);
  expect(v.headline).toBe(headline);
  expect(v.sentence).toBe(text);
});

it('makes one line of a message', () => {
  expect(sentence('  a\nb  ')).toBe('A b.');
  expect(sentence('done!')).toBe('Done!');
  expect(sentence('')).toBe('Something went wrong.');
});
