import { cliHome, startRegistry } from '../test/support/index.ts';
const reg = await startRegistry();
const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '300' });
await reg.push('busybox', 'busybox:latest');
cli.env['TABDOCK_INSECURE_REGISTRIES'] = reg.host;
const IMG = `${reg.host}/busybox`;
const t = async (...a: string[]) => { const s = performance.now(); const r = await cli.run(...a); if (r.code) console.log(r.stderr); return Math.round(performance.now() - s); };
console.log('pull', await t('pull', IMG));
console.log('first none', await t('run', '--rm', '--network', 'none', IMG, 'true'));
for (let i = 0; i < 3; i++) {
  console.log('none', await t('run', '--rm', '--network', 'none', IMG, 'true'), 'bridge', await t('run', '--rm', IMG, 'true'), 'host', await t('run', '--rm', '--network', 'host', IMG, 'true'), 'exec-floor?');
}
await t('run', '-d', '--name', 'x', IMG, 'sleep', '1000');
for (let i = 0; i < 3; i++) console.log('exec', await t('exec', 'x', 'true'));
await cli.run('rm', '-f', 'x');
cli.dispose();
await reg.stop();
process.exit(0);
