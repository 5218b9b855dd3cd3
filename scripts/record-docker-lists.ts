// Records the real docker CLI's output for src/docker-cli/testdata/list-cases.json: a
// loopback registry (test/support) holds the busybox fixture, dockerd (DOCKER_HOST, its
// own --data-root) pulls it and tags it bb:1, the setup commands make four containers,
// and each case's stdout, stderr and exit code are written to testdata/docker-lists.json
// (the registry's host written as REG). test/docker-lists.test.ts runs the same in tabdock.
// Usage: DOCKER_HOST=unix:///path/docker.sock npx tsx scripts/record-docker-lists.ts [/usr/bin/docker]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../test/support/registry.ts';

const docker = process.argv[2] ?? '/usr/bin/docker';
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'docker-cli', 'testdata');
const { setup, cases } = JSON.parse(readFileSync(join(dir, 'list-cases.json'), 'utf8')) as { setup: string[][]; cases: string[][] };
const run = (args: string[]) => {
  const r = spawnSync(docker, args, { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
};
const must = (args: string[]) => {
  const r = run(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
};

const reg = await startRegistry();
try {
  await reg.push('busybox', 'busybox:latest');
  for (const c of ['c1', 'c2', 'c3', 'c4']) run(['rm', '-f', c]);
  for (const v of run(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean)) run(['volume', 'rm', '-f', v]);
  for (const img of run(['images', '-q']).stdout.split('\n').filter(Boolean)) run(['rmi', '-f', img]);
  must(['pull', `${reg.host}/busybox`]);
  must(['tag', `${reg.host}/busybox`, 'bb:1']);
  for (const s of setup) {
    // c2 exits 3 on purpose.
    const r = run(s);
    if (r.code !== 0 && r.code !== 3) throw new Error(`docker ${s.join(' ')}: ${r.stderr}`);
  }
  const version = run(['version', '--format', '{{.Client.Version}}']).stdout.trim();
  const norm = (s: string) => s.replaceAll(reg.host, 'REG');
  const out = {
    recordedWith: `docker ${version}`,
    cases: cases.map((args) => {
      const r = run(args);
      return { args, stdout: norm(r.stdout), stderr: norm(r.stderr), code: r.code };
    }),
  };
  writeFileSync(join(dir, 'docker-lists.json'), `${JSON.stringify(out, null, 1)}\n`);
  console.log(`${out.cases.length} cases recorded with docker ${version}`);
} finally {
  for (const c of ['c1', 'c2', 'c3', 'c4']) run(['rm', '-f', c]);
  await reg.stop();
}
