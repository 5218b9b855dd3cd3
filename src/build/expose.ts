/**
 * EXPOSE values as the image config keeps them (`80/tcp`), as BuildKit's
 * dockerfile2llb/convert_expose.go reads them: `port`, `start-end`, `/tcp|udp|sctp`
 * (any case, stored lower-case); the `ip:host:container` forms are read for the container
 * part (BuildKit only lints them). A bad value is an error worded as BuildKit's.
 */
import { goQuote } from './go-quote.ts';
import { LineError } from './line-parsers.ts';

function portNumber(raw: string, which: 'start' | 'end'): number {
  const why = raw === '' ? 'value is empty' : !/^[+-]?\d+$/.test(raw) ? 'invalid syntax' : Number(raw) < 0 || Number(raw) > 65535 ? 'value out of range (0–65535)' : '';
  if (why) throw new Error(`invalid ${which} port '${raw}': ${why}`);
  return Number(raw);
}

function range(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  const dash = ports.indexOf('-');
  const start = dash < 0 ? ports : ports.slice(0, dash);
  const end = dash < 0 ? '' : ports.slice(dash + 1);
  const s = portNumber(start, 'start');
  if (dash < 0 || start === end) return [s, s];
  const e = portNumber(end, 'end');
  if (e < s) throw new Error('invalid port range: ' + ports);
  return [s, e];
}

/** `8080`, `53/udp`, `8000-8002` -> `8080/tcp`, `53/udp`, `8000/tcp`... */
export function exposedPorts(values: readonly string[]): string[] {
  return values.flatMap((raw) => {
    const parts = raw.split(':');
    const container = parts[parts.length - 1]!;
    const slash = container.indexOf('/');
    const port = slash < 0 ? container : container.slice(0, slash);
    const proto = slash < 0 ? '' : container.slice(slash + 1);
    if (port === '') throw new LineError(`invalid port: ${goQuote(raw)}: no port specified`);
    if (!['', 'tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new LineError(`invalid port: ${goQuote(raw)}: invalid proto: ${proto}`);
    let r: [number, number];
    try {
      r = range(port);
    } catch {
      throw new LineError('invalid containerPort: ' + port);
    }
    const p = (proto || 'tcp').toLowerCase();
    return Array.from({ length: r[1] - r[0] + 1 }, (_, i) => `${r[0] + i}/${p}`);
  });
}
