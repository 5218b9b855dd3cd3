import type { EngineEvent } from '../../engine/events.ts';
import { apiTimestampNanos, rfc3339Nanos } from '../../engine/spec/timestamp.ts';
import { parseReference } from '../../registry-client/reference.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { parseFilters, type Filters } from '../filters.ts';
import { templateError } from '../formatter.ts';
import { GoTemplate, TemplateExecError, TemplateParseError } from '../gotemplate/index.ts';
import { untilInterrupt } from '../io.ts';
import { getTimestamp } from '../timestamp.ts';

/** Docker's `events.Message` (api/types/events), the Go field names as keys; `{{json .}}` uses its JSON names. */
export interface EventMessage {
  Status?: string;
  ID?: string;
  From?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  Scope: string;
  Time: number;
  /** A float64 here (Go's is an int64): exact to the microsecond or so, as JSON numbers are in JS. */
  TimeNano: number;
}

/**
 * An engine event as the daemon's events.Message: the actor and attributes moby's
 * `LogContainerEventWithAttributes`, `LogImageEvent`, `LogVolumeEvent` and
 * `LogNetworkEventWithAttributes` give (container labels among a container's attributes).
 */
export function toMessage(e: EngineEvent): EventMessage {
  let actor: EventMessage['Actor'];
  let legacy: Pick<EventMessage, 'Status' | 'ID' | 'From'> = {};
  switch (e.type) {
    case 'container': {
      const attrs: Record<string, string> = { ...(e.labels ?? {}), image: e.image, name: e.name };
      let action: string = e.action;
      switch (e.action) {
        case 'die': attrs['exitCode'] = String(e.exitCode); break;
        case 'rename': attrs['oldName'] = e.oldName; break;
        case 'kill': attrs['signal'] = String(e.signal); break;
        case 'resize': attrs['height'] = String(e.rows); attrs['width'] = String(e.cols); break;
        case 'exec_create': case 'exec_start':
          // moby: "exec_create: " + Entrypoint + " " + strings.Join(Args, " ") (a lone command keeps the space).
          attrs['execID'] = e.execId;
          action = `${e.action}: ${e.command[0] ?? ''} ${e.command.slice(1).join(' ')}`;
          break;
        case 'exec_die': attrs['execID'] = e.execId; attrs['exitCode'] = String(e.exitCode); break;
        case 'exec_detach': attrs['execID'] = e.execId; break;
        case 'commit': attrs['comment'] = e.comment; attrs['imageID'] = e.imageId; attrs['imageRef'] = e.imageRef; break;
        case 'health_status': action = `health_status: ${e.status}`; break;
      }
      actor = { ID: e.id, Attributes: attrs };
      legacy = { Status: action, ID: e.id, From: e.image };
      return message(e.type, action, actor, legacy, e.time);
    }
    case 'image': {
      const id = e.action === 'pull' ? familiar(e.ref) : e.id;
      const name = e.action === 'pull' ? familiarName(e.ref) : e.action === 'tag' ? familiar(e.ref) : e.id;
      actor = { ID: id, Attributes: { name } };
      legacy = { Status: e.action, ID: id };
      break;
    }
    case 'volume':
      actor = { ID: e.name, Attributes: { driver: 'local' } };
      break;
    case 'network':
      actor = { ID: e.id, Attributes: { name: e.name, type: 'bridge', ...(e.action === 'connect' || e.action === 'disconnect' ? { container: e.container } : {}) } };
      break;
  }
  return message(e.type, e.action, actor, legacy, e.time);
}

function message(type: string, action: string, actor: EventMessage['Actor'], legacy: Pick<EventMessage, 'Status' | 'ID' | 'From'>, time: string): EventMessage {
  const nanos = rfc3339Nanos(time);
  return { ...legacy, Type: type, Action: action, Actor: actor, Scope: 'local', Time: Number(nanos / 1_000_000_000n), TimeNano: Number(nanos) };
}

function familiar(ref: string): string {
  try {
    return parseReference(ref).familiar();
  } catch {
    return ref;
  }
}

function familiarName(ref: string): string {
  return familiar(ref).replace(/(@sha256:[0-9a-f]+|:[^:/]+)$/, '');
}

/** The events.Message JSON (`{{json .}}`): Docker's json tags, legacy fields omitted when empty. */
function messageJson(m: EventMessage): Record<string, unknown> {
  return {
    ...(m.Status ? { status: m.Status } : {}), ...(m.ID ? { id: m.ID } : {}), ...(m.From ? { from: m.From } : {}),
    Type: m.Type, Action: m.Action, Actor: m.Actor, scope: m.Scope, time: m.Time, timeNano: m.TimeNano,
  };
}

/** jsonmessage.RFC3339NanoFixed in the CLI's zone: `2006-01-02T15:04:05.000000000Z07:00`. */
export function rfc3339NanoFixed(nanos: bigint, offsetMin = 0): string {
  const ms = Number(nanos / 1_000_000n) + offsetMin * 60_000;
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = String(nanos % 1_000_000_000n).padStart(9, '0');
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMin) % 60).padStart(2, '0')}`;
  return `${base}.${frac}${zone}`;
}

/** docker/cli `prettyPrintEvent`: time, type, action, actor, then its attributes sorted by key. */
export function prettyEvent(m: EventMessage, nanos: bigint, offsetMin = 0): string {
  const attrs = Object.keys(m.Actor.Attributes).sort().map((k) => `${k}=${m.Actor.Attributes[k]}`);
  return `${rfc3339NanoFixed(nanos, offsetMin)} ${m.Type} ${m.Action} ${m.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

const EVENT_KEYS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'];
const EVENT_TYPES = ['container', 'image', 'volume', 'network', 'daemon', 'plugin', 'service', 'node', 'secret', 'config'];

/** filters.Args.ExactMatch: no values for the key, or one equal to the text. */
const exact = (f: Filters, k: string, text: string) => !f.has(k) || f.get(k)!.includes(text);
/** filters.Args.FuzzyMatch: no values, or one equal to the text or a prefix of it. */
const fuzzy = (f: Filters, k: string, text: string | undefined) => !f.has(k) || (text !== undefined && f.get(k)!.some((v) => v === text || text.startsWith(v)));
const stripTag = (s: string) => s.replace(/:[^:/@]*$/, '');

/** moby `daemon/events/filter.go` `Include`: every key must match. */
export function includeEvent(f: Filters, m: EventMessage): boolean {
  const a = m.Actor.Attributes;
  const byName = (k: string) => (fuzzy(f, k, m.Actor.ID) || fuzzy(f, k, a['name']));
  const imageName = a[m.Type === 'image' ? 'name' : 'image'] ?? '';
  const special = (f.get('event') ?? []).some((v) => ['health_status', 'exec_create', 'exec_start'].includes(v));
  return (special ? fuzzy(f, 'event', m.Action) : exact(f, 'event', m.Action))
    && exact(f, 'type', m.Type) && exact(f, 'scope', m.Scope)
    && byName('container') && byName('volume') && byName('network') && byName('plugin') && byName('service') && byName('node') && byName('secret') && byName('config')
    && !f.has('daemon')
    && (exact(f, 'image', m.Actor.ID) || exact(f, 'image', imageName) || exact(f, 'image', stripTag(m.Actor.ID)) || exact(f, 'image', stripTag(imageName)))
    && (f.get('label') ?? []).every((v) => {
      const eq = v.indexOf('=');
      return eq === -1 ? Object.prototype.hasOwnProperty.call(a, v) : a[v.slice(0, eq)] === v.slice(eq + 1);
    });
}

function validateEventFilters(f: Filters): void {
  for (const k of f.keys()) if (!EVENT_KEYS.includes(k)) throw new TabdockError('INVALID_FILTER', `Invalid filter '${k}'`, {});
  for (const t of f.get('type') ?? []) if (!EVENT_TYPES.includes(t)) throw new TabdockError('INVALID_FILTER', `Invalid filter 'type=${t}'`, {});
}

/**
 * `docker events` (docker/cli `system/events.go`): the engine's events as they happen, and
 * with `--since` those it kept (the last 256, as moby's ring) from then; `--until` ends the
 * stream at that time (at once after the replay when it is past). `--filter` as moby's
 * events filter, `--format` a Go template per event. Ctrl-C ends it (130).
 */
export const events: Command = {
  name: 'events',
  aliases: ['system events'],
  usage: 'events [OPTIONS]',
  description: 'Get real time events from the server',
  flags: [
    { name: 'filter', short: 'f', type: 'list', value: 'filter', help: 'Filter output based on conditions provided' },
    { name: 'format', type: 'string', value: 'string', help: 'Format the output using the given Go template' },
    { name: 'since', type: 'string', value: 'string', help: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', value: 'string', help: 'Stream events until this timestamp' },
  ],
  args: [0, 0],
  async run(p, { io, engine, prog }) {
    const f = parseFilters(p.flags['filter'] as string[] | undefined, `${prog} events`);
    validateEventFilters(f);
    const format = p.flags['format'] as string | undefined;
    let tmpl: GoTemplate | undefined;
    if (format) {
      try {
        tmpl = GoTemplate.parse(format);
      } catch (e) {
        if (e instanceof TemplateParseError) throw templateError(e);
        throw e;
      }
    }
    const now = new Date();
    const since = typeof p.flags['since'] === 'string' && p.flags['since'] !== '' ? getTimestamp(p.flags['since'] as string, now, 'since') : undefined;
    const untilTs = typeof p.flags['until'] === 'string' && p.flags['until'] !== '' ? getTimestamp(p.flags['until'] as string, now, 'until') : undefined;
    const until = untilTs !== undefined ? apiTimestampNanos(untilTs)! : undefined;
    const offset = -now.getTimezoneOffset();
    const api = await engine();
    let finish!: (code: number) => void;
    const done = new Promise<number>((r) => (finish = r));
    let ended = false;
    const onEvent = (e: EngineEvent) => {
      if (ended) return;
      const m = toMessage(e);
      const nanos = rfc3339Nanos(e.time);
      if (until !== undefined && nanos > until) return;
      if (!includeEvent(f, m)) return;
      if (!tmpl) return io.out(prettyEvent(m, nanos, offset));
      try {
        const data = Object.assign(Object.create(null) as object, m);
        Object.defineProperty(data, 'toJSON', { enumerable: false, value: () => messageJson(m) });
        io.out(`${tmpl.execute(data)}\n`);
      } catch (err) {
        if (!(err instanceof TemplateExecError)) throw err;
        ended = true;
        io.err(`${templateError(err).message}\n`);
        finish(1);
      }
    };
    const sub = await api.subscribeEvents(onEvent, since !== undefined ? { since } : {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (until !== undefined) timer = setTimeout(() => finish(0), Math.max(0, Number(until / 1_000_000n) - Date.now()));
    try {
      return await untilInterrupt(io, done, () => (ended = true));
    } finally {
      ended = true;
      clearTimeout(timer);
      await sub.close().catch(() => {});
    }
  },
};
