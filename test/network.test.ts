// Container networking end to end through the `tabdock` CLI (issue 14): a user network
// with its embedded DNS, the default bridge, --network none, published ports reached from
// Node, egress to a server on the test host through the Node link, and Docker's /etc files
// and errors. One daemon and a few containers serve every test. All traffic stays on
// loopback or inside the guest.
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
let host: Server;
let hostPort = 0;
let pubPort = 0;

/** A port nothing listens on now (bound and released). */
async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await cli.run(...args);
  if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const HTTPD = 'mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p 80 -h /www';

beforeAll(async () => {
  host = createServer((req, res) => res.end(`host saw ${req.url}\n`));
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  hostPort = (host.address() as AddressInfo).port;
  ({ reg, cli, image: IMG } = await busyboxCli());
  pubPort = await freePort();
  await ok('network', 'create', 'appnet');
  await ok('run', '-d', '--name', 'web', '-h', 'web', '--network', 'appnet', '--network-alias', 'www', IMG, 'sh', '-c', HTTPD);
  await ok('run', '-d', '--name', 'pub', '-h', 'pub', '-p', `127.0.0.1:${pubPort}:80`, IMG, 'sh', '-c', HTTPD);
}, 300_000);

afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
  await new Promise((r) => host?.close(r));
});

describe('user-defined network', () => {
  it('resolves a container by name, alias and short ID (wget fetches its httpd), and forwards other names to the host\'s resolver', async () => {
    const id = (await ok('inspect', '-f', '{{.Id}}', 'web')).trim().slice(0, 12);
    const r = await cli.run('run', '--rm', '--network', 'appnet', IMG, 'sh', '-c',
      `for h in web www ${id}; do n=0; until wget -q -O - http://$h/ || [ $n -ge 20 ]; do n=$((n+1)); sleep 0.5; done; done; nslookup -type=a localhost 127.0.0.11`);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith('hello from web\n'.repeat(3))).toBe(true);
    // a name the embedded DNS does not know is forwarded to the Node link, the host's resolver
    // (busybox nslookup asks the server given; it reads no /etc/hosts)
    expect(r.stdout).toMatch(/Address: 127\.0\.0\.1/);
  }, 120_000);

  it('writes /etc/hosts, /etc/resolv.conf and /etc/hostname as Docker does', async () => {
    const r = await cli.run('run', '--rm', '--network', 'appnet', '--ip', '172.18.0.77', '--mac-address', '02:42:ac:12:00:99', '-h', 'box', '--add-host', 'host.docker.internal:host-gateway',
      '--add-host', 'db.local:10.1.2.3', '--dns-search', 'example.test', '--dns-option', 'timeout:2', IMG, 'sh', '-c', 'cat /etc/hosts; echo --; cat /etc/resolv.conf; echo --; cat /etc/hostname; ip -o -4 addr show eth0; cat /sys/class/net/eth0/address');
    expect(r.code).toBe(0);
    const [hosts, resolv, rest] = r.stdout.split('--\n');
    expect(hosts).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n'
      + '172.17.0.1\thost.docker.internal\n10.1.2.3\tdb.local\n172.18.0.77\tbox\n');
    expect(resolv).toBe('search example.test\nnameserver 127.0.0.11\noptions ndots:0 timeout:2\n');
    expect(rest).toMatch(/^box\n.*inet 172\.18\.0\.77\/16.*\n02:42:ac:12:00:99\n$/s);
  }, 120_000);

  it('refuses an address outside the subnet, an unknown network, and removing a network in use', async () => {
    const outside = await cli.run('run', '--rm', '--network', 'appnet', '--ip', '10.9.9.9', IMG, 'true');
    expect(outside.code).toBe(125);
    expect(outside.stderr).toContain("Invalid address 10.9.9.9: It does not belong to any of this network's subnets");
    const unknown = await cli.run('run', '--rm', '--network', 'nonet', IMG, 'true');
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain('network nonet not found');
    const inUse = await cli.run('network', 'rm', 'appnet');
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/error while removing network: network appnet id [0-9a-f]{64} has active endpoints/);
    const dup = await cli.run('network', 'create', 'appnet');
    expect(dup.stderr).toContain('network with name appnet already exists');
    expect((await cli.run('network', 'rm', 'bridge')).stderr).toContain('bridge is a pre-defined network and cannot be removed');
  }, 120_000);

  it('network ls and inspect show Docker\'s fields, with the running containers', async () => {
    const ls = await ok('network', 'ls');
    expect(ls.split('\n')[0]).toMatch(/^NETWORK ID +NAME +DRIVER +SCOPE$/);
    expect(ls).toMatch(/[0-9a-f]{12} +appnet +bridge +local/);
    expect(ls).toMatch(/[0-9a-f]{12} +bridge +bridge +local/);
    expect(ls).toMatch(/[0-9a-f]{12} +host +host +local/);
    expect(ls).toMatch(/[0-9a-f]{12} +none +null +local/);
    const [n] = JSON.parse(await ok('network', 'inspect', 'appnet')) as Array<Record<string, any>>;
    expect(n).toMatchObject({ Name: 'appnet', Driver: 'bridge', Scope: 'local', EnableIPv6: false, Internal: false, IPAM: { Driver: 'default', Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] } });
    const webId = (await ok('inspect', '-f', '{{.Id}}', 'web')).trim();
    expect(n!['Containers'][webId]).toMatchObject({ Name: 'web', IPv4Address: '172.18.0.2/16', MacAddress: '02:42:ac:12:00:02' });
    const [c] = JSON.parse(await ok('inspect', 'web')) as Array<Record<string, any>>;
    expect(c!['HostConfig'].NetworkMode).toBe('appnet');
    expect(c!['NetworkSettings'].Networks.appnet).toMatchObject({ IPAddress: '172.18.0.2', Gateway: '172.18.0.1', Aliases: ['www'], NetworkID: n!['Id'] });
  }, 120_000);

  it('network connect gives a running container an address and an alias on a second network; disconnect takes it away', async () => {
    await ok('network', 'create', '--subnet', '10.123.0.0/24', 'side');
    await ok('network', 'connect', '--alias', 'sidekick', 'side', 'web');
    const [c] = JSON.parse(await ok('inspect', 'web')) as Array<Record<string, any>>;
    expect(c!['NetworkSettings'].Networks.side).toMatchObject({ IPAddress: '10.123.0.2', Aliases: ['sidekick'] });
    const r = await cli.run('run', '--rm', '--network', 'side', IMG, 'sh', '-c', 'wget -q -O - http://sidekick/; cat /etc/resolv.conf');
    expect(r.stdout).toBe('hello from web\nnameserver 127.0.0.11\noptions ndots:0\n');
    await ok('network', 'disconnect', 'side', 'web');
    expect(await ok('network', 'rm', 'side')).toBe('side\n');
  }, 120_000);

  it('a running container started on the default bridge, connected to a user network, gets the embedded DNS as Docker rebuilds it', async () => {
    const before = await ok('exec', 'pub', 'cat', '/etc/resolv.conf');
    expect(before).not.toContain('127.0.0.11');
    // and one sharing its namespace, whose resolv.conf Docker points at pub's
    await ok('run', '-d', '--name', 'sidecar', '--network', 'container:pub', IMG, 'sleep', '600');
    await ok('network', 'connect', 'appnet', 'pub');
    try {
      const r = await cli.run('exec', 'pub', 'sh', '-c', 'cat /etc/resolv.conf; wget -q -O - http://web/ && wget -q -O - http://www/');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('nameserver 127.0.0.11\noptions ndots:0\nhello from web\nhello from web\n');
      expect(await cli.run('exec', 'sidecar', 'sh', '-c', 'cat /etc/resolv.conf; wget -q -O - http://web/')).toMatchObject({ stdout: 'nameserver 127.0.0.11\noptions ndots:0\nhello from web\n', stderr: '' });
      // and the others on that network find it by name
      expect(await cli.run('exec', 'web', 'sh', '-c', 'wget -q -O - http://pub/')).toMatchObject({ stdout: 'hello from pub\n', stderr: '' });
    } finally {
      await ok('rm', '-f', 'sidecar');
      await ok('network', 'disconnect', 'appnet', 'pub');
    }
  }, 120_000);
});

describe('other network modes', () => {
  it('--network container:NAME shares its namespace; --network host is the guest\'s own', async () => {
    const joined = await cli.run('run', '--rm', '--network', 'container:web', IMG, 'sh', '-c', 'wget -q -O - http://127.0.0.1/; cat /etc/hosts | tail -n 1');
    expect(joined.stdout).toBe('hello from web\n172.18.0.2\tweb\n');
    const host = await cli.run('run', '--rm', '--network', 'host', IMG, 'sh', '-c', 'ls /sys/class/net');
    expect(host.stdout.split('\n')).toEqual(expect.arrayContaining(['docker0', 'lo']));
    const conflict = await cli.run('run', '--rm', '--network', 'container:web', '-p', '80', IMG, 'true');
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toContain('conflicting options: port publishing and the network mode');
  }, 120_000);
});

describe('isolation', () => {
  it('--network none has only lo; a container on the default bridge cannot reach one on another network', async () => {
    const none = await cli.run('run', '--rm', '--network', 'none', IMG, 'sh', '-c', 'ls /sys/class/net; wget -q -T 2 -O - http://172.18.0.2/ 2>&1; echo rc=$?');
    expect(none.stdout).toMatch(/^lo\nsit0\n/);
    expect(none.stdout).toMatch(/rc=[1-9]/);
    const other = await cli.run('run', '--rm', IMG, 'sh', '-c', 'timeout 3 wget -q -O - http://172.18.0.2/; echo rc=$?');
    expect(other.stdout).not.toContain('hello from web');
    expect(other.stdout).toMatch(/rc=[1-9]/);
    // and the default bridge has no names: its resolv.conf names the gateway (whose relay
    // forwards to the host's resolver) and nothing answers at 127.0.0.11 there. (No query for
    // `web` is made: the host's resolver would send it off this machine.)
    const noName = await cli.run('run', '--rm', IMG, 'sh', '-c', 'cat /etc/resolv.conf; timeout 5 nslookup web 127.0.0.11 >/dev/null 2>&1; echo rc=$?');
    expect(noName.stdout).toMatch(/^nameserver 172\.17\.0\.1\n(.*\n)*rc=[1-9]\d*\n$/);
  }, 120_000);
});

describe('the link and published ports (Node)', () => {

  it('a container reaches a server on the host through host.docker.internal (host-gateway)', async () => {
    const r = await cli.run('run', '--rm', '--add-host', 'host.docker.internal:host-gateway', IMG, 'sh', '-c', `wget -q -O - http://host.docker.internal:${hostPort}/from-container`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('host saw /from-container\n');
  }, 120_000);

  it('-p 127.0.0.1:PORT:80 serves the container\'s page to Node; ps and port show it; a taken port is refused with 125', async () => {
    let body = '';
    for (let i = 0; i < 60 && !body.includes('hello'); i++) {
      body = await fetch(`http://127.0.0.1:${pubPort}/`).then((r) => r.text(), () => '');
      if (!body.includes('hello')) await new Promise((r) => setTimeout(r, 500)); // httpd may still be starting
    }
    expect(body).toBe('hello from pub\n');
    expect(await ok('ps')).toContain(`127.0.0.1:${pubPort}->80/tcp`);
    expect(await ok('port', 'pub')).toBe(`80/tcp -> 127.0.0.1:${pubPort}\n`);
    expect(await ok('port', 'pub', '80')).toBe(`127.0.0.1:${pubPort}\n`);
    const taken = await cli.run('run', '--rm', '-p', `127.0.0.1:${pubPort}:80`, IMG, 'true');
    expect(taken.code).toBe(125);
    expect(taken.stderr).toContain(`Bind for 127.0.0.1:${pubPort} failed: port is already allocated`);
  }, 120_000);

  it('-P publishes the exposed ports on free host ports', async () => {
    await ok('run', '-d', '--name', 'pall', '-h', 'pall', '-P', '--expose', '80', IMG, 'sh', '-c', HTTPD);
    const bound = (await ok('port', 'pall', '80')).trim();
    expect(bound).toMatch(/^0\.0\.0\.0:\d+$/);
    const port = Number(bound.split(':')[1]);
    let body = '';
    for (let i = 0; i < 60 && !body.includes('hello'); i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (!body.includes('hello')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(body).toBe('hello from pall\n');
    await ok('rm', '-f', 'pall');
    expect(await accepts(port)).toBe(false);
  }, 120_000);

  it('stopping or removing the container closes its listener', async () => {
    await ok('stop', '-t', '1', 'pub');
    expect(await accepts(pubPort)).toBe(false);
    const [c] = JSON.parse(await ok('inspect', 'pub')) as Array<Record<string, any>>;
    expect(c!['NetworkSettings'].IPAddress).toBe('');
    await ok('start', 'pub');
    expect(await accepts(pubPort)).toBe(true);
    await ok('rm', '-f', 'pub');
    expect(await accepts(pubPort)).toBe(false);
  }, 120_000);
});
