/**
 * Go's text/template as the docker CLI uses it: one engine for every `--format`.
 * `GoTemplate.parse(text)` fails with Go's parse error; `execute(data)` with Go's exec
 * error. Data is described in values.ts (maps, slices, structs marked `GO_TYPE`).
 */
import { Executor, type ExecOptions, type GoFunc } from './exec.ts';
import { TEMPLATE_FUNCS } from './funcs.ts';
import { parseTemplate, type Parsed } from './parse.ts';

export { TemplateExecError, FuncError, type ExecOptions, type GoFunc } from './exec.ts';
export { TemplateParseError } from './parse.ts';
export { HEADER_FUNCS, TEMPLATE_FUNCS } from './funcs.ts';
export { GO_METHODS, GO_TYPE, GoFloat, sprint, toJson, type GoStruct } from './values.ts';
export { sprintf } from './printf.ts';
export { goQuote } from './lex.ts';

export class GoTemplate {
  private constructor(private readonly tree: Parsed, private readonly source: string, private readonly name: string) {}

  /** `name` is the template's name in errors (`template: NAME:1: ...`); docker's are anonymous but for `version`'s. */
  static parse(text: string, funcs: ReadonlyMap<string, GoFunc> = TEMPLATE_FUNCS, name = ''): GoTemplate {
    return new GoTemplate(parseTemplate(text, new Set(funcs.keys()), name), text, name);
  }

  execute(data: unknown, opts: ExecOptions = {}, funcs: ReadonlyMap<string, GoFunc> = TEMPLATE_FUNCS): string {
    return new Executor(this.tree, this.source, funcs, opts, this.name).execute(data);
  }

  /** Runs and returns what was written before a failure too (Go writes as it goes), and the failure. */
  executePartial(data: unknown, opts: ExecOptions = {}, funcs: ReadonlyMap<string, GoFunc> = TEMPLATE_FUNCS): { text: string; error?: Error } {
    const ex = new Executor(this.tree, this.source, funcs, opts, this.name);
    return ex.executePartial(data);
  }
}
