/**
 * docker/cli's formatter (cli/command/formatter/formatter.go) and inspect templates
 * (cli/command/inspect/inspector.go) over the one template engine (gotemplate/): the
 * `table` directive, `json`, custom formats, and Docker's errors and exit codes.
 */
import { TabdockError } from '../shared/errors.ts';
import { GO_METHODS, GO_TYPE, GoTemplate, HEADER_FUNCS, TemplateExecError, TemplateParseError, type GoStruct } from './gotemplate/index.ts';
import { tabwrite } from './format.ts';
import type { TerminalIo } from './io.ts';

/** A failed template: the docker CLI prints the sentence and exits with `exitCode` (1; 64 when an inspect template does not parse). */
export function templateError(e: Error, exitCode = 1): TabdockError {
  return new TabdockError('TEMPLATE_ERROR', `template parsing error: ${e.message}`, {}, { exitCode });
}

function parse(text: string, exitCode = 1): GoTemplate {
  try {
    return GoTemplate.parse(text);
  } catch (e) {
    if (e instanceof TemplateParseError) throw templateError(e, exitCode);
    throw e;
  }
}

/** `Format.IsTable`: the format starts with `table`. */
export const isTable = (format: string) => format.startsWith('table');

/**
 * formatter.Format.templateString: `table` dropped, spaces trimmed (other whitespace kept),
 * `\t` and `\n` written as two characters become a tab and a newline; `json` is `{{json .}}`.
 */
export function templateString(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  let out = isTable(format) ? format.slice('table'.length) : format;
  out = out.replace(/^ +| +$/g, '');
  return out.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
}

/**
 * A row for a list command: a Go struct (`*formatter.ContainerContext`) whose fields are
 * its columns' values or methods. Its `{{json .}}` is every method without arguments, by
 * name (docker/cli formatter.MarshalJSON).
 */
export function goStruct(type: string, fields: Record<string, unknown>): GoStruct {
  const s = Object.assign(Object.create(null) as object, fields, { [GO_TYPE]: type }) as GoStruct;
  Object.defineProperty(s, 'toJSON', {
    enumerable: false,
    value: () => Object.fromEntries(Object.keys(s).filter((k) => typeof s[k] === 'function' && (s[k] as () => unknown).length === 0).sort().map((k) => [k, (s[k] as () => unknown)()])),
  });
  return s;
}

/**
 * formatter.Context.Write: each row through the template, one per line; a table adds a
 * header row (the template run over the column names with HeaderFunctions, as Docker
 * does, errors ignored) and lines the cells up with tabwriter. Nothing is written when a
 * row fails: the error ends the command (exit 1).
 */
export function writeFormatted(io: TerminalIo, format: string, rows: GoStruct[], header: Record<string, string>): void {
  io.out(formatted(format, rows, header));
}

/** What `writeFormatted` prints, as text. */
export function formatted(format: string, rows: GoStruct[], header: Record<string, string>): string {
  const tmpl = parse(templateString(format));
  let body = '';
  for (const r of rows) {
    try {
      body += `${tmpl.execute(r)}\n`;
    } catch (e) {
      if (e instanceof TemplateExecError) throw templateError(e);
      throw e;
    }
  }
  if (!isTable(format)) return body;
  const head = tmpl.executePartial(headerContext(header), {}, HEADER_FUNCS).text;
  return tabwrite(`${head}\n${body}`);
}

/**
 * docker/cli's SubHeaderContext: the column names by field, and `Label` naming a label's
 * column by the last dot-separated part of its key, `-` and `_` as spaces.
 */
function headerContext(names: Record<string, string>): Record<string, string> {
  const label = (name: unknown) => (String(name).split('.').at(-1) ?? '').replace(/[-_]/g, ' ');
  return Object.assign(Object.create(null) as object, names, { [GO_METHODS]: { Label: label } }) as Record<string, string>;
}

/** Keys of Docker's inspect structs that are Go maps: a missing key in them prints `<no value>` instead of failing. */
const MAP_FIELDS: ReadonlySet<string> = new Set([
  'Labels', 'Options', 'Volumes', 'ExposedPorts', 'Ports', 'PortBindings', 'Networks', 'Sysctls', 'StorageOpt', 'Data', 'Config',
  'Containers', 'DriverOpts', 'Tmpfs', 'Status', 'Annotations', 'Metadata',
]);

/**
 * inspect.Inspect: every object through the template, one line each. A template that does
 * not parse exits 64. Docker runs it over its typed struct first and, when that fails, over
 * the raw JSON with `missingkey=error`; tabdock has the JSON, so a key missing from a
 * struct fails as Docker's fallback does (`map has no entry for key "X"`), while one
 * missing from a map prints `<no value>`. `typed` names a Go type for the objects (volumes:
 * `types.Volume`) when Docker has no raw fallback for them. Failures are printed after
 * the lines that worked, and the command exits 1.
 */
export function inspectFormatted(io: TerminalIo, format: string, objects: unknown[], opts: { typed?: string } = {}): number {
  const tmpl = parse(format, 64);
  const errors: string[] = [];
  let out = '';
  for (const o of objects) {
    try {
      const data = opts.typed && typeof o === 'object' && o !== null ? goStruct(opts.typed, o as Record<string, unknown>) : o;
      out += `${tmpl.execute(data, opts.typed ? {} : { missingKeyError: true, mapFields: MAP_FIELDS })}\n`;
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  // TemplateInspector.Flush: a newline when nothing was printed.
  io.out(out || '\n');
  if (errors.length) {
    io.err(`${errors.join('\n')}\n`);
    return 1;
  }
  return 0;
}
