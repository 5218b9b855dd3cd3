/**
 * The page's link when it has no network relay at all (`relay: false`, or
 * `<meta name="tabdock-relay" content="off">`): never available, so the guest is told
 * `net-link up=0` and a container's connection fails at once instead of hanging; DNS
 * answers SERVFAIL (the fake-ip DNS's own no-relay answer); the page is told once why.
 */
import { FakeIpDns } from './fake-ip-dns.ts';
import { LinkConnectError, type LinkSocket, type NetworkLink } from '../network/link.ts';

export const NO_RELAY_SENTENCE =
  'This page has no network relay, so containers in it have no network access (connections fail with "network unreachable"); serve the page with `tabdock proxy` or `npm run dev`, which serve one, or name one in <meta name="tabdock-relay">.';

export class NoLink implements NetworkLink {
  readonly available = false;
  private told = false;
  private readonly dns = new FakeIpDns();

  /** @param onUnavailable told once, the first time the engine asks (a sentence for the page) */
  constructor(private readonly onUnavailable?: (sentence: string) => void) {}

  async probe(): Promise<boolean> {
    if (!this.told) {
      this.told = true;
      this.onUnavailable?.(NO_RELAY_SENTENCE);
    }
    return false;
  }

  async connect(dst: string, port: number): Promise<LinkSocket> {
    throw new LinkConnectError('ENETUNREACH', 101, `${dst}:${port}: ${NO_RELAY_SENTENCE}`);
  }

  async resolve(query: Uint8Array): Promise<Uint8Array> {
    const a = this.dns.answer(query, false);
    if (!a) throw new LinkConnectError('EHOSTUNREACH', 113, 'not a DNS query');
    return a;
  }
}
