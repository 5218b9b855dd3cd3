// The page's link without a relay: never up, refuses at once, SERVFAIL, tells the page once.
import { expect, it } from 'vitest';
import { encodeName } from '../network/dns-wire.ts';
import { NO_RELAY_SENTENCE, NoLink } from './no-link.ts';

it('is never available, says so once, refuses connections and answers SERVFAIL', async () => {
  const told: string[] = [];
  const link = new NoLink((s) => told.push(s));
  expect(link.available).toBe(false);
  expect(await link.probe()).toBe(false);
  expect(await link.probe()).toBe(false);
  expect(told).toEqual([NO_RELAY_SENTENCE]);
  await expect(link.connect('127.0.0.1', 80)).rejects.toMatchObject({ code: 'ENETUNREACH', errno: 101 });
  const name = encodeName('example.invalid');
  const query = new Uint8Array([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 1, 0, 1]);
  const answer = await link.resolve(query);
  expect([answer[0], answer[1]]).toEqual([0x12, 0x34]);
  expect(answer[3]! & 0x0f).toBe(2); // SERVFAIL
});
