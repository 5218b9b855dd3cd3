/**
 * Container networking in the real guest (src/emulator/README.md "Networking requests",
 * kernel/README.md "Networking"): bridges, netns and veths made by the agent, the
 * nftables rules, egress through OPEN to a real HTTP server on the test host's loopback,
 * DNS through DGRAM, ingress through `connect`, and teardown that leaves nothing behind.
 * Busybox applets run in a namespace with `nsenter --net=/run/netns/ID`.
 * No traffic leaves the guest except through the OPEN handler, which only ever connects
 * to 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Datagram, Guest, GuestProcess, GuestSocket, OpenRequest, PipeEnd } from '../../src/emulator/index.ts';
import { pipeSocket } from '../../src/emulator/index.ts';
import { DATA_FRAME } from '../../src/emulator/guest-socket.ts';
import { TabdockError } from '../../src/shared/errors.ts';
import { startGuest } from './guest-fixture.ts';

const BB = '/bin/busybox';
const BIG = 16 * 1024 * 1024;
let guest: Guest;
let server: Server;
let serverPort = 0;
const bigBody = new Uint8Array(BIG);
for (let i = 0; i < BIG; i += 4) new DataView(bigBody.buffer).setUint32(i, Math.imul(i, 2654435761) >>> 0);
const bigHash = createHash('sha256').update(bigBody).digest('hex');
const opens: OpenRequest[] = [];
const datagrams: Datagram[] = [];
let refusePort = -1;
let httpd: GuestProcess | undefined;
let linksBefore = '';

/** A guest command in the root namespace, or in netns `ns`. */
async function run(cmd: string, ns?: string): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  const args = ns ? [BB, 'nsenter', `--net=/run/netns/${ns}`, BB, 'sh', '-c', cmd] : [BB, 'sh', '-c', cmd];
  const t0 = performance.now();
  const out = await (await guest.agent.spawn(args)).output();
  return { ...out, ms: performance.now() - t0 };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function nodeEnd(s: Socket): PipeEnd {
  return {
    write: (b) => (s.write(b) ? undefined : new Promise<void>((resolve) => s.once('drain', resolve))),
    end: () => s.end(),
    destroy: () => s.destroy(),
    onData: (l) => s.on('data', l),
    onEnd: (l) => s.on('end', l),
    onClose: (l) => s.on('close', l),
    pause: () => s.pause(),
    resume: () => s.resume(),
  };
}

async function readAll(sock: GuestSocket, frames?: number[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  sock.onData((c) => (parts.push(c), frames?.push(c.length)));
  await new Promise<void>((resolve) => sock.onEnd(resolve));
  return Buffer.concat(parts);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(BIG) });
      res.end(bigBody);
    } else {
      res.end(`hello from the host, you asked ${req.url}\n`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as AddressInfo).port;

  guest = await startGuest();
  const a = guest.agent;
  linksBefore = (await run('ls /sys/class/net')).stdout.trim(); // lo, and sit0 (the kernel's SIT device, in every netns)
  a.onOpen((req, accept, refuse) => {
    opens.push(req);
    if (req.dport === refusePort) {
      refuse(111, 'refused by the test');
      return;
    }
    // whatever the container asked for, the test's link reaches only the host's loopback
    const s = netConnect({ host: '127.0.0.1', port: serverPort, allowHalfOpen: true });
    s.once('connect', () => pipeSocket(accept(), nodeEnd(s)));
    s.once('error', (e: NodeJS.ErrnoException) => refuse(e.code === 'ECONNREFUSED' ? 111 : 113, e.message));
  });
  a.onDatagram((d) => {
    datagrams.push(d);
    const q = dnsPacket.decode(Buffer.from(d.data));
    const reply = dnsPacket.encode({
      type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions,
      answers: (q.questions ?? []).filter((x) => x.type === 'A').map((x) => ({ type: 'A' as const, name: x.name, ttl: 60, data: '10.9.8.7' })),
    });
    a.sendDatagram({ ns: d.ns, src: d.dst, sport: d.dport, dst: d.src, dport: d.sport, data: reply });
  });

  await a.netCreate({ bridge: 'docker0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false });
  await a.netCreate({ bridge: 'br-0123456789ab', subnet: '172.18.0.0/16', gateway: '172.18.0.1', internal: false });
  const eps: Array<[string, string, string, string]> = [
    ['c1', 'docker0', '172.17.0.2', '172.17.0.1'],
    ['c2', 'docker0', '172.17.0.3', '172.17.0.1'],
    ['c3', 'br-0123456789ab', '172.18.0.2', '172.18.0.1'],
  ];
  for (const [id, bridge, ip, gateway] of eps) {
    const { path } = await a.netnsCreate(id, { dns: true });
    expect(path).toBe(`/run/netns/${id}`);
    const last = Number(ip.split('.')[3]).toString(16).padStart(2, '0');
    await a.netAttach({ id, bridge, ifname: 'eth0', ip: `${ip}/16`, mac: `02:42:ac:11:00:${last}`, gateway, defaultRoute: true });
  }
  // busybox httpd in c1 serves /tmp/www (the guest's root mount namespace: nsenter joins only the netns)
  const made = await run('mkdir -p /tmp/www && echo "hello from c1" > /tmp/www/index.html');
  expect(made.status).toBe(0);
  httpd = await guest.agent.spawn([BB, 'nsenter', '--net=/run/netns/c1', BB, 'httpd', '-f', '-p', '80', '-h', '/tmp/www']);
  // wait until it listens
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await run(`${BB} wget -q -O - http://127.0.0.1/index.html`, 'c1');
    if (r.status === 0) break;
    if (Date.now() > deadline) throw new Error(`httpd did not start: ${r.stderr}`);
  }
}, 300_000);

afterAll(async () => {
  await guest?.dispose();
  await new Promise((resolve) => server?.close(resolve));
});

describe('guest networking', () => {
  it('has veth, bridge and the addresses it was asked for', async () => {
    const r = await run(`${BB} ip -o addr show eth0; ${BB} ip route`, 'c2');
    expect(r.stdout).toContain('172.17.0.3/16');
    expect(r.stdout).toContain('default via 172.17.0.1');
    const links = await run('ls /sys/class/net');
    expect(links.stdout.split(/\s+/)).toEqual(expect.arrayContaining(['docker0', 'br-0123456789ab', 'lo']));
    expect(links.stdout.split(/\s+/).filter((l) => /^veth[0-9a-f]{7}$/.test(l))).toHaveLength(3);
    const socks = await run('cat /proc/net/tcp; echo ---; cat /proc/net/udp');
    expect(socks.stdout).toMatch(/ 00000000:3A99 00000000:0000 0A /); // egress listener :15001
    expect(socks.stdout.split('---')[1]).toContain('00000000:3ACD'); // root DNS relay :15053
    const ports = await run('ls /sys/class/net/docker0/brif | wc -l; ls /sys/class/net/br-0123456789ab/brif | wc -l');
    expect(ports.stdout.split(/\s+/).filter(Boolean)).toEqual(['2', '1']);
  });

  it('two netns on one bridge: wget in c2 fetches busybox httpd in c1', async () => {
    const r = await run(`${BB} wget -q -O - http://172.17.0.2/index.html`, 'c2');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from c1\n');
  });

  it('the gateway answers ping, as a Docker host\'s bridge address does (ICMP stays in the guest)', async () => {
    const r = await run(`${BB} ping -c 1 -W 10 172.17.0.1`, 'c2');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('1 packets received');
  });

  it('egress: a wget to the gateway and to a 10.x address arrives as OPEN and is answered by a real host server', async () => {
    opens.length = 0;
    const gw = await run(`${BB} wget -q -O - http://172.17.0.1:8080/via-gateway`, 'c2');
    expect(gw.stdout).toBe('hello from the host, you asked /via-gateway\n');
    const ten = await run(`${BB} wget -q -O - http://10.20.30.40:81/via-ten`, 'c2');
    await waitFor(() => guest.agent.activeSockets === 0, 30_000); // both streams released after their FINs
    expect(ten.stdout).toBe('hello from the host, you asked /via-ten\n');
    expect(opens).toEqual([
      expect.objectContaining({ src: '172.17.0.3', dst: '172.17.0.1', dport: 8080 }),
      expect.objectContaining({ src: '172.17.0.3', dst: '10.20.30.40', dport: 81 }),
    ]);
  });

  // (failing wgets go without -T and -O -: busybox 1.35's wget segfaults reporting an error then)
  it('a refused OPEN resets the client at once', async () => {
    opens.length = 0;
    refusePort = 9999;
    const r = await run(`${BB} wget -O /dev/null http://10.20.30.40:9999/`, 'c2');
    refusePort = -1;
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/reset by peer|refused/i);
    expect(r.ms).toBeLessThan(20_000);
    expect(opens).toEqual([expect.objectContaining({ dst: '10.20.30.40', dport: 9999 })]);
  });

  it('net-link up=0: wget fails at once with network unreachable and nothing is opened', async () => {
    opens.length = 0;
    await guest.agent.netLink(false);
    try {
      const r = await run(`${BB} wget -O /dev/null http://10.20.30.40:81/`, 'c2');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Network is unreachable/);
      expect(r.ms).toBeLessThan(20_000);
      const gw = await run(`${BB} wget -O /dev/null http://172.17.0.1:81/`, 'c2');
      expect(gw.status).not.toBe(0);
      expect(gw.stderr).toMatch(/refused/);
      expect(gw.ms).toBeLessThan(20_000);
      expect(opens).toEqual([]);
      const rules = await run('/usr/sbin/nft list ruleset');
      expect(rules.stdout).not.toContain('redirect to :15001');
    } finally {
      await guest.agent.netLink(true);
    }
    const back = await run(`${BB} wget -q -O - http://10.20.30.40:81/back`, 'c2');
    expect(back.stdout).toBe('hello from the host, you asked /back\n');
  });

  it('isolation: a netns on a second bridge cannot reach the first bridge\'s container, and nothing is opened', async () => {
    opens.length = 0;
    // dropped, as Docker's isolation drops: the client waits until `timeout` ends it (143)
    const r = await run(`${BB} timeout 5 ${BB} wget -q -O - http://172.17.0.2/index.html`, 'c3');
    expect(r.status).toBe(143);
    expect(r.stdout).toBe('');
    expect(opens).toEqual([]);
    // and the second bridge has its own way out
    const out = await run(`${BB} wget -q -O - http://10.20.30.40:81/from-c3`, 'c3');
    expect(out.stdout).toBe('hello from the host, you asked /from-c3\n');
  });

  it('DNS: a query to 127.0.0.11 arrives as DGRAM with its netns id and the reply is what nslookup prints', async () => {
    datagrams.length = 0;
    const r = await run(`${BB} nslookup -type=a web.example.test 127.0.0.11`, 'c2');
    expect(r.stdout).toContain('10.9.8.7');
    expect(datagrams[0]).toMatchObject({ ns: 'c2', src: '127.0.0.1', dst: '127.0.0.11', dport: 53 });
    expect(dnsPacket.decode(Buffer.from(datagrams[0]!.data)).questions?.[0]).toMatchObject({ name: 'web.example.test', type: 'A' });
  });

  it('DNS: UDP/53 to any address goes to the root relay (ns empty) and the reply comes back from that address', async () => {
    datagrams.length = 0;
    const r = await run(`${BB} nslookup -type=a other.example.test 172.17.0.1`, 'c1');
    expect(r.stdout).toContain('10.9.8.7');
    expect(datagrams[0]).toMatchObject({ ns: '', src: '172.17.0.2', dst: '172.17.0.1', dport: 53 });
    const far = await run(`${BB} nslookup -type=a far.example.test 10.0.0.53`, 'c3');
    expect(far.stdout).toContain('10.9.8.7');
    expect(datagrams[1]).toMatchObject({ ns: '', src: '172.18.0.2', dport: 53 });
  });

  it('ingress: connect to httpd in c1 returns its page', async () => {
    const sock = await guest.agent.connect('172.17.0.2', 80);
    await sock.write(new TextEncoder().encode('GET /index.html HTTP/1.0\r\n\r\n'));
    sock.end(); // our FIN: with httpd's, the agent releases the stream (CLOSE)
    const body = (await readAll(sock)).toString();
    expect(body).toMatch(/^HTTP\/1\.[01] 200/);
    expect(body).toContain('hello from c1');
    await sock.closed;
  });

  it('connect to a closed port is refused with ECONNREFUSED', async () => {
    const err = await guest.agent.connect('172.17.0.2', 81).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TabdockError);
    expect((err as TabdockError).data).toMatchObject({ op: 'connect', errno: 111 });
    expect(guest.agent.activeSockets).toBe(0);
  });

  it('16 MiB through egress and through ingress (throughput printed)', async () => {
    // egress: wget in c2 downloads the host's 16 MiB
    const instructions = () => guest.emulator.get_instruction_counter() >>> 0;
    const t0 = performance.now();
    const e0 = instructions();
    const dl = await run(`${BB} wget -q -O /tmp/www/big http://10.20.30.40:81/big`, 'c2');
    const egressMs = performance.now() - t0;
    const egressInstr = ((instructions() - e0) >>> 0) / BIG;
    expect(dl.stderr).toBe('');
    const sum = await run(`${BB} sha256sum /tmp/www/big`);
    expect(sum.stdout.split(' ')[0]).toBe(bigHash);
    // ingress: the same bytes from httpd in c1 (same /tmp/www: the root mount namespace)
    const t1 = performance.now();
    const i0 = instructions();
    const sock = await guest.agent.connect('172.17.0.2', 80);
    await sock.write(new TextEncoder().encode('GET /big HTTP/1.0\r\n\r\n'));
    sock.end();
    const frames: number[] = [];
    const resp = await readAll(sock, frames);
    await sock.closed;
    const ingressMs = performance.now() - t1;
    const ingressInstr = ((instructions() - i0) >>> 0) / BIG;
    const bodyAt = resp.indexOf('\r\n\r\n') + 4;
    expect(resp.length - bodyAt).toBe(BIG);
    expect(createHash('sha256').update(resp.subarray(bodyAt)).digest('hex')).toBe(bigHash);
    // The agent reads the socket only with a whole frame's credit: no slivers of leftover
    // credit between the 32 KiB frames (there were as many slivers as frames).
    const whole = Math.ceil(resp.length / DATA_FRAME);
    console.log(`ingress: ${frames.length} DATA frames for ${whole} whole ones; under 1 KiB: ${frames.filter((n) => n < 1024).length}`);
    expect(frames.length).toBeLessThan(whole * 1.2);
    const mbps = (ms: number) => (BIG / 1e6 / (ms / 1000)).toFixed(2);
    console.log(`16 MiB egress (wget in a netns <- host server): ${egressMs.toFixed(0)} ms, ${mbps(egressMs)} MB/s, ${egressInstr.toFixed(1)} guest instructions/byte; ingress (connect -> httpd in a netns): ${ingressMs.toFixed(0)} ms, ${mbps(ingressMs)} MB/s, ${ingressInstr.toFixed(1)} guest instructions/byte`);
    await run('rm /tmp/www/big');
  }, 600_000);

  it('net-remove and netns-delete leave no rule, veth, namespace or listener', async () => {
    await httpd?.kill(9);
    await httpd?.exit;
    for (const id of ['c1', 'c2', 'c3']) await guest.agent.netnsDelete(id);
    let links = await run('ls /sys/class/net');
    expect(links.stdout.split(/\s+/).filter((l) => l.startsWith('veth'))).toEqual([]);
    await guest.agent.netRemove('br-0123456789ab');
    let rules = await run('/usr/sbin/nft list ruleset');
    expect(rules.stdout).not.toContain('br-0123456789ab');
    expect(rules.stdout).toContain('docker0');
    await guest.agent.netRemove('docker0');
    rules = await run('/usr/sbin/nft list ruleset');
    expect(rules.stdout.trim()).toBe('');
    links = await run('ls /sys/class/net');
    expect(links.stdout.trim()).toBe(linksBefore);
    const ns = await run('ls -A /run/netns; grep -c " /run/netns/" /proc/mounts');
    expect(ns.stdout.trim()).toBe('0');
    // no listener left: 15001 = 0x3A99 (tcp), 15053 = 0x3ACD (udp), and no 127.0.0.11:53 socket (namespaces gone)
    const socks = await run('cat /proc/net/tcp; echo ---; cat /proc/net/udp');
    const [tcp = '', udp = ''] = socks.stdout.split('---');
    // (connections of the egress tests may still be in TIME_WAIT, state 06: not listeners)
    expect(tcp.split('\n').filter((l) => / [0-9A-F]{8}:3A99 [0-9A-F]{8}:0000 0A /.test(l))).toEqual([]);
    expect(udp).not.toMatch(/:3ACD |0B00007F:0035 /);
    await waitFor(() => guest.agent.activeSockets === 0, 30_000);
    await expect(guest.agent.netnsDelete('c1')).rejects.toThrow(/no network namespace/);
  });
});
