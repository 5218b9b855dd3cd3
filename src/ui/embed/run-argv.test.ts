import { expect, it } from 'vitest';
import { runArgv } from './run-argv.ts';

it('builds docker run arguments from the attributes', () => {
  expect(runArgv({ image: 'busybox', cmd: 'echo hello', interactive: false })).toEqual(['run', '--rm', 'busybox', 'echo', 'hello']);
  expect(runArgv({ image: ' alpine ', cmd: null, interactive: true })).toEqual(['run', '--rm', '-it', 'alpine']);
  expect(runArgv({ image: 'busybox', cmd: `sh -c 'echo "$NAME" | wc -c'`, options: '-e NAME=world --workdir /tmp', interactive: false }))
    .toEqual(['run', '--rm', '-e', 'NAME=world', '--workdir', '/tmp', 'busybox', 'sh', '-c', 'echo "$NAME" | wc -c']);
});

it('says what is wrong with an attribute', () => {
  expect(() => runArgv({ image: '', interactive: false })).toThrow(/image attribute is missing/);
  expect(() => runArgv({ image: 'busybox', cmd: "echo 'x", interactive: false })).toThrow(/cmd attribute cannot be read/);
  expect(() => runArgv({ image: 'busybox', cmd: 'true; false', interactive: false })).toThrow(/one command/);
});
