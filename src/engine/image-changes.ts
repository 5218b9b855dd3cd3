import type { ContainerConfig } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { parseDockerfile, parseInstruction } from '../build/index.ts';
import { healthFromDockerfile } from './spec/healthcheck.ts';

/**
 * `docker commit --change` and `docker import --change`: Dockerfile instructions applied to
 * an image config, the ones moby accepts there (builder/dockerfile `validCommitCommands`:
 * CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR and
 * HEALTHCHECK, read by the Dockerfile frontend as a build reads it). JSON and shell forms,
 * `ENV k=v ...` and the old `ENV k v`, quotes and backslashes in words as the Dockerfile
 * frontend reads them. ENTRYPOINT clears a CMD not set by the same changes (moby's
 * dispatchEntrypoint, `cmdSet`).
 */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(base);
  let cmdSet = false;
  for (const raw of changes) {
    for (const line of raw.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
      const instr = m[1]!.toUpperCase();
      const rest = m[2]!.trim();
      switch (instr) {
        case 'CMD':
          c.Cmd = command(rest, instr);
          cmdSet = true;
          break;
        case 'ENTRYPOINT':
          c.Entrypoint = command(rest, instr);
          if (!cmdSet) c.Cmd = null;
          break;
        case 'ENV': {
          const env = [...(c.Env ?? [])];
          for (const [k, v] of pairs(rest, instr, true)) {
            const i = env.findIndex((e) => e.split('=')[0] === k);
            if (i >= 0) env[i] = `${k}=${v}`;
            else env.push(`${k}=${v}`);
          }
          c.Env = env;
          break;
        }
        case 'LABEL':
          c.Labels = { ...(c.Labels ?? {}) };
          for (const [k, v] of pairs(rest, instr, false)) c.Labels[k] = v;
          break;
        case 'EXPOSE':
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
          for (const p of words(rest)) {
            if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalid(`invalid containerPort: ${p}`);
            c.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
          }
          break;
        case 'VOLUME': {
          c.Volumes = { ...(c.Volumes ?? {}) };
          const list = rest.startsWith('[') ? jsonArray(rest, instr) : words(rest);
          if (list.length === 0) throw invalid('VOLUME specified can not be an empty string');
          for (const v of list) c.Volumes[v] = {};
          break;
        }
        case 'USER':
          if (!rest) throw invalid('USER requires exactly one argument');
          c.User = words(rest)[0]!;
          break;
        case 'WORKDIR': {
          if (!rest) throw invalid('WORKDIR requires exactly one argument');
          const dir = words(rest)[0]!;
          // A relative WORKDIR is relative to the one before (moby normalizeWorkdir).
          c.WorkingDir = normalize(dir.startsWith('/') ? dir : `${c.WorkingDir || '/'}/${dir}`);
          break;
        }
        case 'STOPSIGNAL':
          if (!rest) throw invalid('STOPSIGNAL requires exactly one argument');
          c.StopSignal = words(rest)[0]!;
          break;
        case 'ONBUILD': {
          const trigger = /^(\S+)/.exec(rest)?.[1]?.toUpperCase();
          if (!trigger) throw invalid('ONBUILD requires at least one argument');
          if (trigger === 'ONBUILD') throw invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
          if (trigger === 'FROM' || trigger === 'MAINTAINER') throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
          c['OnBuild'] = [...((c['OnBuild'] as string[] | null | undefined) ?? []), rest];
          break;
        }
        case 'HEALTHCHECK':
          c['Healthcheck'] = healthcheck(line);
          break;
        case 'ADD': case 'ARG': case 'COPY': case 'FROM': case 'MAINTAINER': case 'RUN': case 'SHELL':
          throw invalid(`${instr.toLowerCase()} is not a valid change command`);
        default:
          throw invalid(`dockerfile parse error on line 1: unknown instruction: ${m[1]}`);
      }
    }
  }
  return c;
}

/** `HEALTHCHECK [OPTIONS] CMD ...` / `HEALTHCHECK NONE`, parsed as the builder parses it (one rule for both). */
function healthcheck(line: string): ReturnType<typeof healthFromDockerfile> {
  let ins;
  try {
    ins = parseInstruction(parseDockerfile(line).lines[0]!);
  } catch (e) {
    const reason = TabdockError.is(e) ? ((e.data['reason'] as string | undefined) ?? e.message) : (e as Error).message;
    throw invalid(reason);
  }
  if (ins.kind !== 'HEALTHCHECK') throw invalid(`HEALTHCHECK: cannot read ${line}`);
  return healthFromDockerfile(ins.health);
}

function invalid(message: string): TabdockError {
  return new TabdockError('INVALID_CONFIG', message, {});
}

/** JSON form (`["a","b"]`) or shell form (`/bin/sh -c "..."`), as CMD and ENTRYPOINT take them. */
function command(rest: string, instr: string): string[] {
  if (rest.startsWith('[')) {
    try {
      return jsonArray(rest, instr);
    } catch {
      // Not valid JSON: Docker takes the text as shell form.
    }
  }
  return ['/bin/sh', '-c', rest];
}

function jsonArray(rest: string, instr: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch {
    throw invalid(`${instr}: not a JSON array of strings: ${rest}`);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${instr}: not a JSON array of strings: ${rest}`);
  return v as string[];
}

/** `k=v k2="v 2"`; with `legacy`, a first word without `=` means `k rest-of-line` (ENV's old form). */
function pairs(rest: string, instr: string, legacy: boolean): [string, string][] {
  const ws = words(rest);
  if (ws.length === 0) throw invalid(`${instr} requires at least one argument`);
  if (!ws[0]!.includes('=')) {
    if (!legacy && ws.length !== 2) throw invalid(`${instr} names must be followed by =VALUE`);
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw invalid(`${instr} names can not be blank`);
    return [[m[1]!, words(m[2]!).join(' ')]];
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalid(`${instr} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Words as the Dockerfile frontend splits them: whitespace outside quotes; quotes removed; `\x` is x. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (quote) throw invalid(`unmatched quote in: ${s}`);
  if (has || cur) out.push(cur);
  return out;
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const x of p.split('/')) {
    if (x === '' || x === '.') continue;
    if (x === '..') parts.pop();
    else parts.push(x);
  }
  return `/${parts.join('/')}`;
}
