import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../../test/support/index.ts';
import { daemonHome, ok } from '../pull-unpacked.ts';
const reg = await startRegistry();
await reg.push('busybox', 'busybox:1');
const img = `${reg.host}/busybox:1`;
const dir = join(tmpdir(), 'trace-compose', 'app'); mkdirSync(dir, { recursive: true });
const health = ['    healthcheck:', '      test: ["CMD", "true"]', '      interval: 30s', '      start_period: 30s', '      start_interval: 200ms'];
const service = (s: string, deps: string[]) => [`  ${s}:`, `    image: ${img}`, '    init: true', '    command: ["sleep", "3600"]', ...health,
  ...(deps.length ? ['    depends_on:', ...deps.flatMap((d) => [`      ${d}:`, '        condition: service_healthy'])] : [])];
const file = join(dir, 'compose.yaml');
writeFileSync(file, ['services:', ...service('kv', []), ...service('api', ['kv']), ...service('web', ['kv']), ''].join('\n'));
const flat = join(dir, 'flat.yaml');
writeFileSync(flat, ['name: flat', 'services:', ...service('kv', []), ...service('api', []), ...service('web', []), ''].join('\n'));
const cli = await daemonHome(reg);
await ok(cli, 'pull', img);
for (let i = 0; i < 2; i++) await ok(cli, 'run', '--rm', img, 'true');
const traced = (args: string[]) => new Promise<void>((res) => {
  const t0 = Date.now();
  const p = spawn('bin/tabdock.mjs', args, { env: { ...process.env, ...cli.env } });
  const on = (b: Buffer) => { for (const l of b.toString().split('\n')) if (l.trim()) console.log(String(Date.now() - t0).padStart(6), l); };
  p.stdout.on('data', on); p.stderr.on('data', on);
  p.on('exit', () => { console.log(String(Date.now() - t0).padStart(6), 'EXIT'); res(); });
});
for (let i = 0; i < 3; i++) {
  for (const f of [file, flat]) {
    await traced(['compose', '-f', f, 'up', '-d', '--wait']);
    await ok(cli, 'compose', '-f', f, 'down', '-t', '0');
  }
}
await traced(['run', '-d', '--name', 'x', img, 'sleep', '3600']);
await traced(['compose', '-f', flat, 'ps']);
cli.dispose(); await reg.stop();
