import { expect, it } from 'vitest';
import { autorunnable, commandFromUrl, shareUrl } from './share-link.ts';

it('puts the line in ?run= and reads it back', () => {
  const url = shareUrl('http://localhost:5173/?run=old#x', "docker run --rm busybox sh -c 'echo a && echo b'");
  expect(url).toBe('http://localhost:5173/?run=docker+run+--rm+busybox+sh+-c+%27echo+a+%26%26+echo+b%27');
  expect(commandFromUrl(url)).toBe("docker run --rm busybox sh -c 'echo a && echo b'");
  expect(commandFromUrl('http://localhost:5173/?run=docker%20ps')).toBe('docker ps');
  expect(commandFromUrl('http://localhost:5173/')).toBeUndefined();
  expect(commandFromUrl('http://localhost:5173/?run=%20')).toBeUndefined();
});

it.each([
  ['docker run -it alpine sh', true],
  ['docker pull busybox && docker run --rm busybox echo hi', true],
  ['docker ps -a; docker images', true],
  ['docker image ls', true],
  ['docker container run busybox', true],
  ['help', true],
  ['docker rm -f x', false],
  ['docker rmi busybox', false],
  ['docker image prune -a -f', false],
  ['docker container prune', false],
  ['docker run busybox true && docker rm x', false],
  ['docker stop x', false],
  ['ls', false],
  ["docker run 'x", false],
  ['', false],
])('%s autorun: %s', (line, yes) => {
  expect(autorunnable(line)).toBe(yes);
});
