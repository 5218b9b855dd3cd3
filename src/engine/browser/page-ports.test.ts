// The page's port records (page-ports.ts): Docker's allocation rules in a tab. Opening a
// bound port goes through the guest (test/browser/page-network.test.ts does it end to end).
import { expect, it } from 'vitest';
import type { PortBinding } from '../network/ports.ts';
import { PagePorts } from './page-ports.ts';

const ID = 'abcdef123456'.padEnd(64, '0');
const bind = (hostPort: number, more: Partial<PortBinding> = {}): PortBinding => ({ hostIp: '0.0.0.0', hostPort, protocol: 'tcp', container: ID, containerPort: 80, ...more });
const never = () => Promise.reject(new Error('not opened in this test'));

it('takes a host port once in the tab (125, Docker\'s sentence), whatever the address, until it is released', async () => {
  const ports = new PagePorts();
  const p = await ports.publish(bind(8080), never);
  expect(p).toMatchObject({ hostIp: '0.0.0.0', hostPort: 8080 });
  await expect(ports.publish(bind(8080, { container: 'f'.repeat(64) }), never)).rejects.toMatchObject({
    code: 'PORT_ALLOCATED', exitCode: 125, message: 'Bind for 0.0.0.0:8080 failed: port is already allocated',
  });
  await expect(ports.publish(bind(8080, { hostIp: '127.0.0.1' }), never)).rejects.toMatchObject({ code: 'PORT_ALLOCATED', message: 'Bind for 127.0.0.1:8080 failed: port is already allocated' });
  await p.close();
  expect(ports.ports()).toEqual([]);
  expect((await ports.publish(bind(8080), never)).hostPort).toBe(8080);
});

it('chooses free ports from Docker\'s ephemeral range for -p 80 and -P', async () => {
  const ports = new PagePorts();
  const a = await ports.publish(bind(0), never);
  const b = await ports.publish(bind(0, { containerPort: 81 }), never);
  expect([a.hostPort, b.hostPort]).toEqual([32768, 32769]);
  await a.close();
  expect((await ports.publish(bind(0), never)).hostPort).toBe(32768);
});

it('refuses UDP (125) and a preview of a port the container does not publish', async () => {
  const ports = new PagePorts();
  await expect(ports.publish(bind(53, { protocol: 'udp' }), never)).rejects.toMatchObject({ code: 'UNSUPPORTED', exitCode: 125 });
  await ports.publish(bind(8080), never);
  await expect(ports.open('abcdef123456', 81)).rejects.toMatchObject({ code: 'PORT_NOT_PUBLISHED', message: expect.stringContaining('no running container of this tab with ID abcdef123456 publishes port 81/tcp') });
  await expect(ports.open('0123456789ab', 80)).rejects.toMatchObject({ code: 'PORT_NOT_PUBLISHED' });
  // A published one goes to its `open` (here: the stand-in's refusal, as a container that refuses).
  await expect(ports.open('abcdef123456', 80)).rejects.toThrow('not opened in this test');
});
