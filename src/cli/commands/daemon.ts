import { TabdockError } from '../../shared/errors.ts';
import { connectDaemon, runDaemon } from '../daemon/daemon.ts';
import { openEngine } from '../context.ts';
import type { NodeCommand } from './command.ts';

export const daemon: NodeCommand = {
  name: 'daemon',
  usage: 'daemon run|stop|status',
  description: "Manage the background daemon that holds the engine (started on first need)",
  flags: [],
  args: [1, 1],
  async run(p, { io }) {
    const sub = p.args[0];
    if (sub === 'run') {
      // The daemon's stderr is $TABDOCK_HOME/daemon.log: how its guest started goes there.
      await runDaemon(io.env, async () => {
        const engine = await openEngine(io.env, { owner: 'daemon', log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) });
        // Docker's daemon start: containers with `--restart always` & co come back.
        await engine.startByPolicy();
        return engine;
      });
      return 0;
    }
    if (sub === 'stop' || sub === 'status') {
      const d = await connectDaemon(io.env, { autostart: false });
      if (!d) {
        io.out(sub === 'stop' ? 'tabdock daemon is not running\n' : 'not running\n');
        return sub === 'stop' ? 0 : 1;
      }
      try {
        if (sub === 'stop') {
          await d.api.shutdown();
          io.out('tabdock daemon stopped\n');
        } else {
          const s = await d.api.status();
          io.out(`running: pid ${s.pid}, home ${s.home}, since ${s.startedAt}\n`);
        }
      } finally {
        d.close();
      }
      return 0;
    }
    throw new TabdockError('FLAG_ERROR', `unknown daemon command "${sub}": use run, stop or status`, {});
  },
};
