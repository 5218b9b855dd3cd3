// The CLI's background daemon: started on first need, shared by later invocations,
// stopped on request, and gone by itself after an idle period.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliHome } from './support/index.ts';

it('starts on first need, serves later invocations, stops on request', async () => {
  const cli = cliHome();
  try {
    expect((await cli.run('daemon', 'status')).code).toBe(1);
    expect((await cli.run('images')).stdout).toBe('REPOSITORY   TAG   IMAGE ID   CREATED   SIZE\n');
    const pid = readFileSync(join(cli.home, 'tabdock.pid'), 'utf8').trim();
    expect((await cli.run('images', '-q')).code).toBe(0);
    expect(readFileSync(join(cli.home, 'tabdock.pid'), 'utf8').trim()).toBe(pid);
    expect((await cli.run('daemon', 'status')).stdout).toContain(`running: pid ${pid}`);
    expect((await cli.run('daemon', 'stop')).stdout).toBe('tabdock daemon stopped\n');
    expect((await cli.run('daemon', 'status')).stdout).toBe('not running\n');
  } finally {
    cli.dispose();
  }
});

it('exits by itself when idle', async () => {
  const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '1' });
  try {
    await cli.run('images');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await cli.run('daemon', 'status')).stdout).toBe('not running\n');
  } finally {
    cli.dispose();
  }
});
