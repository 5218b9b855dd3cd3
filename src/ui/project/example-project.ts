import type { ProjectFile } from './project-context.ts';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * What a fresh page's files panel holds, so that Build does something to look at: a
 * Dockerfile with COPY, RUN and CMD, a text file and an executable script. `docker run
 * --rm app` after the build prints hello.txt and what the RUN step measured. And a
 * `compose.yaml` for `docker compose up -d`: a web server with a published port (its
 * preview link in the containers panel) and a client that fetches its page by service name.
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
    {
      path: 'compose.yaml',
      mode: 0o644,
      mtime: now,
      bytes: text(COMPOSE),
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

/**
 * Only what the page's compose runs today (compose/README.md): images, no bind mounts.
 * `init: true` puts tini at PID 1, so `down`'s SIGTERM ends httpd and tail at once
 * (a shell or httpd at PID 1 ignores it, and each stop would wait out its 10 s).
 */
const COMPOSE = [
  '# Two services: type  docker compose up -d',
  '# then open web\'s port 8080 from the Containers panel,',
  '# see what client fetched:  docker compose logs client',
  '# and stop both:  docker compose down',
  'name: demo',
  'services:',
  '  web:',
  '    image: busybox',
  '    init: true',
  '    command: sh -c "mkdir -p /www && echo \'<h1>Hello from compose</h1>\' > /www/index.html && exec httpd -f -p 80 -h /www"',
  '    ports:',
  '      - "8080:80"',
  '  client:',
  '    image: busybox',
  '    init: true',
  '    depends_on: [web]',
  '    # web is reached by its service name on the project\'s network',
  '    command: sh -c "until wget -qO- http://web/; do sleep 1; done; exec tail -f /dev/null"',
  '',
].join('\n');
