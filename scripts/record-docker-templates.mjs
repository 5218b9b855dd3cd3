#!/usr/bin/env node
// Records the real docker CLI's output for the template cases in
// src/docker-cli/testdata/template-cases.json, run as `docker volume inspect -f CASE tv1`
// against a dockerd of its own (DOCKER_HOST). Writes testdata/docker-templates.json:
// the volume's inspect JSON and, per case, stdout, stderr and the exit code.
// Usage: DOCKER_HOST=unix:///path/docker.sock node scripts/record-docker-templates.mjs [/usr/bin/docker]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const docker = process.argv[2] ?? '/usr/bin/docker';
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'docker-cli', 'testdata');
const run = (args) => {
  const r = spawnSync(docker, args, { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
};
run(['volume', 'rm', '-f', 'tv1']);
const made = run(['volume', 'create', '--label', 'b=2', '--label', 'a=1', '--label', 'com.example.x=y', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'tv1']);
if (made.code !== 0) throw new Error(made.stderr);
const volume = JSON.parse(run(['volume', 'inspect', 'tv1']).stdout)[0];
const cases = JSON.parse(readFileSync(join(dir, 'template-cases.json'), 'utf8'));
const version = run(['version', '--format', '{{.Client.Version}} {{.Client.GoVersion}}']).stdout.trim();
const out = { recordedWith: `docker ${version}`, command: 'docker volume inspect -f FORMAT tv1', volume, cases: cases.map((format) => ({ format, ...run(['volume', 'inspect', '-f', format, 'tv1']) })) };
writeFileSync(join(dir, 'docker-templates.json'), `${JSON.stringify(out, null, 1)}\n`);
console.log(`${out.cases.length} cases recorded with docker ${version}`);
