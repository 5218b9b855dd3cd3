import { expect, it } from 'vitest';
import { PullLineFilter } from './pull-lines.ts';

it("leaves docker's pull report out, across chunks, and keeps everything else", () => {
  const f = new PullLineFilter();
  const report = [
    "Unable to find image '127.0.0.1:5000/busybox:1' locally",
    '1: Pulling from busybox',
    '62755121229b: Pulling fs layer',
    '62755121229b: Download complete',
    '62755121229b: Pull complete',
    `Digest: sha256:${'a'.repeat(64)}`,
    'Status: Downloaded newer image for 127.0.0.1:5000/busybox:1',
    'sh: oops: not found',
    'docker: Error response from daemon: no matching manifest for linux/386',
  ].join('\n');
  const out = f.push(report.slice(0, 40)) + f.push(report.slice(40)) + f.flush();
  expect(out).toBe('sh: oops: not found\ndocker: Error response from daemon: no matching manifest for linux/386');
});
