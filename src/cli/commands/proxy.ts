import type { NodeCommand } from './command.ts';

export const proxy: NodeCommand = {
  name: 'proxy',
  usage: 'proxy [OPTIONS]',
  description: 'Run the CORS proxy the browser playground pulls through, and its network relay at /wisp/',
  flags: [
    { name: 'port', short: 'p', type: 'string', value: 'int', help: 'Port to listen on (default 8080)' },
    { name: 'host', type: 'string', value: 'string', help: 'Address to listen on (default 127.0.0.1)' },
  ],
  args: [0, 0],
  async run(p, { io }) {
    const { startProxyServer, proxyOptionsFromEnv, relayOptionsFromEnv } = await import('../../proxy/index.ts');
    const port = Number(p.flags['port'] ?? 8080);
    const host = String(p.flags['host'] ?? '127.0.0.1');
    const relay = relayOptionsFromEnv(io.env);
    // What it refuses (a registry host off the list, a relay destination off its policy) is said
    // on stderr, so whoever runs it sees why a pull or a container's connection failed.
    const server = await startProxyServer({ ...proxyOptionsFromEnv(io.env), relay, port, host, log: (m) => io.err(`${m}\n`) });
    io.out(`tabdock proxy listening on ${server.url}\n`);
    io.out(relay === false ? 'network relay: off (TABDOCK_RELAY=off)\n' : `network relay at ${server.url.replace(/^http/, 'ws')}/wisp/ (ports ${relay.ports?.join(',') ?? '80,443'}; public addresses${relay.allow ? ` and ${relay.allow.join(',')}` : ' only'})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
