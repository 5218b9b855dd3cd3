import type { ProjectFile } from './project-context.ts';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * What a fresh page's files panel holds, so that Build does something to look at: a
 * Dockerfile with COPY, RUN and CMD, a text file and an executable script. `docker run
 * --rm app` after the build prints hello.txt and what the RUN step measured.
 */
export function exampleProject(now = Date.now()): ProjectFile[] {
  return [
    {
      path: 'Dockerfile',
      mode: 0o644,
      mtime: now,
      bytes: text([
        '# Edit the files, then press Build (or type: docker build -t app .)',
        '# and run the image: docker run --rm app',
        'FROM busybox',
        'WORKDIR /app',
        'COPY hello.txt greet.sh ./',
        'RUN wc -c < hello.txt > size.txt',
        'CMD ["./greet.sh"]',
        '',
      ].join('\n')),
    },
    { path: 'hello.txt', mode: 0o644, mtime: now, bytes: text('Hello from the files panel!\n') },
    {
      path: 'greet.sh',
      mode: 0o755,
      mtime: now,
      bytes: text(['#!/bin/sh', 'cat hello.txt', 'echo "($(cat size.txt) bytes, counted when the image was built)"', ''].join('\n')),
    },
  ];
}
