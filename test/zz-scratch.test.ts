import { it } from 'vitest';
import { busyboxCli } from './support/index.ts';
it('timing', async () => {
  const { reg, cli, image } = await busyboxCli();
  const t = async (...a: string[]) => { const s = Date.now(); const r = await cli.run(...a); console.log(`${Date.now() - s} ms`, a.join(' '), r.code, r.stdout.slice(0, 600), r.stderr.slice(0, 300)); return r; };
  const t0 = Math.floor(Date.now() / 1000);
  await t('run', '-d', '--name', 'aa', image, 'sleep', '600');
  for (let i = 0; i < 3; i++) await t('exec', 'aa', 'true');
  await t('run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '3', image, 'sleep', '600');
  for (let i = 0; i < 6; i++) await t('inspect', '-f', '{{json .State.Health}}', 'hc');
  await t('events', '--since', String(t0), '--until', String(Math.floor(Date.now() / 1000)), '--format', '{{.Time}} {{.Actor.Attributes.name}} {{.Action}} {{.Actor.Attributes.exitCode}}');
  cli.dispose(); await reg.stop();
}, 400_000);
