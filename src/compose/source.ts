import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { TabdockError } from '../shared/errors.ts';

/** What a compose file holds, as plain data, and the line each value came from. */
export interface SourceFile {
  file: string;
  data: Record<string, unknown>;
  /** `services.web.ports.0` -> 1-based line in `file`. */
  lines: Map<string, number>;
}

/** Compose's exit status for a file it cannot load (compose v2: 15, `config` errors). */
export const EXIT_BAD_FILE = 15;

/** A user-facing error naming the file, the key and its line. */
export function fileError(src: { file: string; lines: Map<string, number> } | undefined, path: string, message: string, exitCode = EXIT_BAD_FILE, code: 'COMPOSE_FILE_INVALID' | 'COMPOSE_UNSUPPORTED' = 'COMPOSE_FILE_INVALID'): TabdockError {
  const line = src ? lineOf(src.lines, path) : undefined;
  const where = src ? `${src.file}${line ? `:${line}` : ''}: ` : '';
  return new TabdockError(code, `${where}${path ? `${path}: ` : ''}${message}`, { file: src?.file, key: path, line }, { exitCode });
}

/** What the spec allows and tabdock does not run: refused with a sentence (exit 1), never ignored. */
export function refusal(src: { file: string; lines: Map<string, number> } | undefined, path: string, why: string): TabdockError {
  return fileError(src, path, `${why} (tabdock refuses it rather than ignore it)`, 1, 'COMPOSE_UNSUPPORTED');
}

/** The line of the path, or of its nearest parent that has one. */
export function lineOf(lines: Map<string, number>, path: string): number | undefined {
  for (let p = path; ; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) {
    const l = lines.get(p);
    if (l !== undefined) return l;
    if (!p) return undefined;
  }
}

/** Parses YAML with line numbers (eemeli/yaml's LineCounter); the top must be a mapping. */
export function parseSource(file: string, text: string): SourceFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, merge: true, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = lc.linePos(e.pos[0]).line;
    throw new TabdockError('COMPOSE_FILE_INVALID', `${file}:${line}: yaml: ${e.message.split('\n')[0]}`, { file, line }, { exitCode: EXIT_BAD_FILE });
  }
  const lines = new Map<string, number>();
  const walk = (n: unknown, path: string): unknown => {
    if (isAlias(n)) return walk(n.resolve(doc), path);
    const node = n as Node | null;
    if (node && node.range && !lines.has(path)) lines.set(path, lc.linePos(node.range[0]).line);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (k === '<<') continue; // merge keys: resolved by toJS below
        const p = path ? `${path}.${k}` : k;
        if (isScalar(pair.key) && pair.key.range) lines.set(p, lc.linePos(pair.key.range[0]).line);
        out[k] = walk(pair.value, p);
      }
      // YAML merge keys (<<: *anchor): their entries, where the map does not set them.
      const merged = (node.toJS(doc) ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(merged)) if (!(k in out)) out[k] = v;
      return out;
    }
    if (isSeq(node)) return node.items.map((it, i) => walk(it, `${path}.${i}`));
    if (isScalar(node)) return node.value;
    return null;
  };
  const data = walk(doc.contents, '');
  if (data === null || data === undefined) return { file, data: {}, lines };
  if (typeof data !== 'object' || Array.isArray(data)) throw fileError({ file, lines }, '', 'Top-level object must be a mapping');
  return { file, data: data as Record<string, unknown>, lines };
}
