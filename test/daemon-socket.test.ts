// Hardening: a local client cannot crash or wedge the daemon through its socket. Bad
// lines get an error answer and the connection goes on; a line with no end is refused at
// the size limit and only that connection is closed; the daemon serves the next client.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliHome, type CliHome } from './support/index.ts';

let cli: CliHome;

beforeAll(async () => {
  cli = cliHome({ TABDOCK_GUEST: 'off' });
  expect((await cli.run('ps')).code).toBe(0); // starts the daemon
}, 120_000);
afterAll(() => cli?.dispose());

interface Answer {
  t: string;
  id: number;
  value?: unknown;
  error?: { code: string; message: string };
}

/** A raw client: lines out, parsed answers in. */
async function raw(): Promise<{ sock: Socket; send(line: string): void; next(): Promise<Answer>; closed: Promise<void> }> {
  const sock = connect(join(cli.home, 'tabdock.sock'));
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  sock.setEncoding('utf8');
  let buf = '';
  const answers: Answer[] = [];
  const waiters: ((a: Answer) => void)[] = [];
  sock.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const a = JSON.parse(buf.slice(0, nl)) as Answer;
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(a);
      else answers.push(a);
    }
  });
  // The daemon ends a connection it refuses; writes after that fail (EPIPE), as expected.
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.once('end', () => r()).once('close', () => r()));
  return {
    sock,
    send: (line) => void sock.write(`${line}\n`),
    next: () => (answers.length ? Promise.resolve(answers.shift()!) : new Promise((r) => waiters.push(r))),
    closed,
  };
}

it('answers malformed lines with an error and goes on serving the connection', async () => {
  const c = await raw();
  for (const line of ['null', 'not json', '[1,2]', '{"t":"call"}', '{"t":"nope","id":3}', '{"t":"release","fns":"x"}']) {
    c.send(line);
    const a = await c.next();
    expect(a.t).toBe('err');
    expect(a.error!.code).toBe('RPC_BAD_MESSAGE');
  }
  c.send('{"t":"call","id":5,"method":7,"args":1}');
  expect(await c.next()).toMatchObject({ t: 'err', id: 5, error: { code: 'RPC_BAD_MESSAGE' } });
  c.send(JSON.stringify({ t: 'call', id: 6, method: 'dispose', args: [] }));
  expect(await c.next()).toMatchObject({ t: 'err', id: 6, error: { code: 'RPC_REFUSED' } });
  c.send(JSON.stringify({ t: 'call', id: 7, method: 'version', args: [] }));
  expect(await c.next()).toMatchObject({ t: 'ok', id: 7 });
  c.sock.destroy();
}, 60_000);

it('refuses a line with no end at the size limit, closing only that connection', async () => {
  const c = await raw();
  const piece = 'x'.repeat(1 << 20);
  let sent = 0;
  let open = true;
  void c.closed.then(() => (open = false));
  // Up to 600 MiB with no newline; the daemon must cut it off long before.
  while (open && sent < 600 * (1 << 20)) {
    if (!c.sock.write(piece)) await Promise.race([new Promise<void>((r) => c.sock.once('drain', r)), c.closed]);
    sent += piece.length;
  }
  const a = await c.next();
  expect(a).toMatchObject({ t: 'err', id: 0, error: { code: 'RPC_BAD_MESSAGE' } });
  await c.closed;
  expect(sent).toBeLessThan(200 * (1 << 20));
  // The daemon is alive and serves the next client.
  const d = await raw();
  d.send(JSON.stringify({ t: 'call', id: 1, method: 'version', args: [] }));
  expect(await d.next()).toMatchObject({ t: 'ok', id: 1 });
  d.sock.destroy();
  expect((await cli.run('ps')).code).toBe(0);
}, 120_000);
