/**
 * Go's text/template execution (text/template/exec.go) over the values of values.ts:
 * fields and methods, variables, pipelines, `if`/`range`/`with`, `template`, and the
 * errors Go reports (`template: :1:2: executing "" at <.Foo>: ...`).
 */
import { argString, type Arg, type Control, type Command, type Node, type Parsed, type Pipe } from './parse.ts';
import { GO_METHODS, GO_TYPE, GoFloat, isMap, isStruct, isTrue, sprint, typeName } from './values.ts';

/** A function's parameter kinds, checked as Go's reflection checks a FuncMap function's. */
export type Kind = 'any' | 'string' | 'int' | 'bool' | 'strings';

export interface GoFunc {
  params: Kind[];
  /** The kind of the rest of the arguments (`printf`'s `...any`). */
  variadic?: Kind;
  /** A failure is thrown as `new FuncError(msg)`: Go prints `error calling NAME: msg`. */
  call(...args: unknown[]): unknown;
}

/** An error a function returns (Go: its second result). */
export class FuncError extends Error {}

/** An execution failure, with Go's text. */
export class TemplateExecError extends Error {}

export interface ExecOptions {
  /**
   * `missingkey=error` (docker inspect's fallback over raw JSON): a missing map key is an
   * error, except in the maps named here (`Labels`, `Options`...), which Docker decodes
   * as Go maps and where a missing key is `<no value>`.
   */
  missingKeyError?: boolean;
  mapFields?: ReadonlySet<string>;
}

const MISSING = Symbol('missing');
class Break {}
class Continue {}

type Vars = { name: string; value: unknown }[];

/** `and`, `or` (lazy), and the comparisons, which need Go's rules for kinds. */
const LAZY = new Set(['and', 'or']);

export class Executor {
  private node: { pos: number; text: string } = { pos: 0, text: '' };
  private depth = 0;

  constructor(
    private tmpl: Parsed,
    private source: string,
    private funcs: ReadonlyMap<string, GoFunc>,
    private opts: ExecOptions = {},
    private name = '',
  ) {}

  execute(data: unknown): string {
    const r = this.executePartial(data);
    if (r.error) throw r.error;
    return r.text;
  }

  /** What was written, and the failure if there was one (Go writes output as it goes). */
  executePartial(data: unknown): { text: string; error?: Error } {
    const out: string[] = [];
    try {
      this.walk(data, this.tmpl.root, [{ name: '$', value: data }], out);
      return { text: out.join('') };
    } catch (e) {
      if (e instanceof TemplateExecError) return { text: out.join(''), error: e };
      throw e;
    }
  }

  private at(a: Arg | Command | Pipe | { pos: number; text: string }): void {
    this.node = 'text' in a && typeof a.text === 'string' && !('t' in a) ? (a as { pos: number; text: string }) : { pos: a.pos, text: argString(a as Arg) };
  }

  private errorf(msg: string): never {
    const before = this.source.slice(0, this.node.pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl === -1 ? byteLen(before) : byteLen(before.slice(nl + 1));
    throw new TemplateExecError(`template: ${this.name}:${line}:${col}: executing "${this.name}" at <${this.node.text}>: ${msg}`);
  }

  private walk(dot: unknown, list: Node[], vars: Vars, out: string[]): void {
    for (const n of list) {
      switch (n.t) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.evalPipeline(dot, n.pipe, vars);
          if (n.pipe.decl.length === 0) out.push(this.printValue(n.pipe, v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = vars.length;
          const v = this.evalPipeline(dot, n.pipe, vars);
          if (isTrue(v)) this.walk(n.t === 'with' ? v : dot, n.list, vars, out);
          else if (n.elseList) this.walk(dot, n.elseList, vars, out);
          vars.length = mark;
          break;
        }
        case 'range':
          this.walkRange(dot, n, vars, out);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
        case 'template': {
          const body = this.tmpl.defines.get(n.name);
          this.node = { pos: n.pos, text: `{{template ${n.quoted}${n.pipe ? ` ${argString(n.pipe)}` : ''}}}` };
          if (!body) this.errorf(`template ${JSON.stringify(n.name)} not defined`);
          if (++this.depth > 10000) this.errorf('exceeded maximum template depth (100000)');
          const d = n.pipe ? this.evalPipeline(dot, n.pipe, vars) : undefined;
          this.walk(d, body, [{ name: '$', value: d }], out);
          this.depth--;
          break;
        }
      }
    }
  }

  private walkRange(dot: unknown, n: Control, vars: Vars, out: string[]): void {
    const mark = vars.length;
    const val = this.evalPipeline(dot, n.pipe, vars);
    const bodyMark = vars.length;
    const one = (index: unknown, elem: unknown): boolean => {
      if (n.pipe.decl.length > 0) {
        if (n.pipe.isAssign) {
          this.setVar(vars, n.pipe.decl[n.pipe.decl.length === 1 ? 0 : 1]!, elem);
          if (n.pipe.decl.length > 1) this.setVar(vars, n.pipe.decl[0]!, index);
        } else {
          vars[bodyMark - 1]!.value = elem;
          if (n.pipe.decl.length > 1) vars[bodyMark - 2]!.value = index;
        }
      }
      try {
        this.walk(elem, n.list, vars, out);
      } catch (e) {
        if (e instanceof Break) return false;
        if (!(e instanceof Continue)) throw e;
      } finally {
        vars.length = bodyMark;
      }
      return true;
    };
    let any = false;
    if (Array.isArray(val)) {
      for (let i = 0; i < val.length; i++) {
        any = true;
        if (!one(i, val[i])) break;
      }
    } else if (isMap(val)) {
      for (const k of Object.keys(val).sort()) {
        any = true;
        if (!one(k, val[k])) break;
      }
    } else if (val !== undefined && val !== null) {
      this.at(n.pipe);
      this.errorf(`range can't iterate over ${sprint(val, false)}`);
    }
    vars.length = mark;
    if (!any && n.elseList) this.walk(dot, n.elseList, vars, out);
  }

  private setVar(vars: Vars, name: string, value: unknown): void {
    for (let i = vars.length - 1; i >= 0; i--) {
      if (vars[i]!.name === name) {
        vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private printValue(p: Pipe, v: unknown): string {
    this.at(p);
    if (typeof v === 'function') this.errorf(`can't print ${argString(p)} of type func`);
    return sprint(v);
  }

  private evalPipeline(dot: unknown, pipe: Pipe, vars: Vars): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value, vars);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(vars, name, value);
      else vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: Arg[], final: unknown): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${argString(args[0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: Command, final: unknown, vars: Vars): unknown {
    const first = cmd.args[0]!;
    switch (first.t) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final, undefined);
      case 'chain': {
        this.at(first);
        if (first.fields.length === 0) this.errorf('internal error: no fields in evalChainNode');
        if (first.node.t === 'nil') this.errorf(`indirection through explicit nil in ${argString(first)}`);
        const pipe = this.evalArg(dot, first.node, vars);
        return this.evalFieldChain(dot, pipe, first, first.fields, cmd.args, final, undefined);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, final, vars);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first, vars);
      case 'variable': {
        this.at(first);
        const value = this.varValue(first.idents[0]!, vars);
        if (first.idents.length === 1) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first, first.idents.slice(1), cmd.args, final, undefined);
      }
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': this.errorf('nil is not a command');
      case 'number': return constant(first);
      case 'string': return first.text;
    }
  }

  private varValue(name: string, vars: Vars): unknown {
    for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.name === name) return vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Arg, idents: string[], args: Arg[], final: unknown, parentName: string | undefined): unknown {
    let r = receiver;
    let parent = parentName;
    for (let i = 0; i < idents.length - 1; i++) {
      r = this.evalField(dot, idents[i]!, node, [], MISSING, r, parent, []);
      parent = idents[i];
    }
    return this.evalField(dot, idents[idents.length - 1]!, node, args, final, r, parent, []);
  }

  private evalField(dot: unknown, name: string, node: Arg, args: Arg[], final: unknown, receiver: unknown, parentName: string | undefined, _vars: Vars): unknown {
    if (receiver === undefined || receiver === MISSING) {
      if (this.opts.missingKeyError) this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (isStruct(receiver)) {
      if (Object.prototype.hasOwnProperty.call(receiver, name) || name in receiver) {
        const f = receiver[name];
        if (typeof f === 'function') return this.evalCall(dot, { params: [], variadic: 'any', call: (...a: unknown[]) => (f as (...x: unknown[]) => unknown).apply(receiver, a) }, false, node, name, args, final, [], f.length);
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return f;
      }
      this.errorf(`can't evaluate field ${name} in type ${receiver[GO_TYPE]}`);
    }
    if (isMap(receiver)) {
      const method = (receiver as { [GO_METHODS]?: Record<string, (...a: unknown[]) => unknown> })[GO_METHODS]?.[name];
      if (method) return this.evalCall(dot, { params: [], variadic: 'any', call: method }, false, node, name, args, final, [], method.length);
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (Object.prototype.hasOwnProperty.call(receiver, name)) return receiver[name];
      if (this.opts.missingKeyError && !(parentName !== undefined && this.opts.mapFields?.has(parentName))) this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: unknown, id: Extract<Arg, { t: 'identifier' }>, cmd: Command, final: unknown, vars: Vars): unknown {
    this.at(id);
    const f = this.funcs.get(id.name);
    if (!f) this.errorf(`${JSON.stringify(id.name)} is not a defined function`);
    if (LAZY.has(id.name)) return this.evalLazy(dot, id.name, cmd, final, vars);
    return this.evalCall(dot, f, true, cmd, id.name, cmd.args, final, vars);
  }

  /** `and`/`or`: arguments evaluated left to right, stopping at the first that decides (Go 1.18). */
  private evalLazy(dot: unknown, name: string, cmd: Command, final: unknown, vars: Vars): unknown {
    const args = cmd.args.slice(1);
    const n = args.length + (final !== MISSING ? 1 : 0);
    if (n < 1) this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: unknown;
    for (let i = 0; i < n; i++) {
      v = i < args.length ? this.evalArg(dot, args[i]!, vars) : final;
      if (isTrue(v) === (name === 'or')) return v;
    }
    return v;
  }

  private evalCall(dot: unknown, f: GoFunc, _builtin: boolean, node: Arg | Command, name: string, args: Arg[], final: unknown, vars: Vars, methodArity?: number): unknown {
    const rest = args.slice(1);
    const numIn = rest.length + (final !== MISSING ? 1 : 0);
    const params = methodArity !== undefined ? Array<Kind>(methodArity).fill('any') : f.params;
    const variadic = methodArity !== undefined ? undefined : f.variadic;
    if (variadic) {
      if (numIn < params.length) this.errorf(`wrong number of args for ${name}: want at least ${params.length} got ${numIn}`);
    } else if (numIn !== params.length) this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
    const values: unknown[] = [];
    rest.forEach((a, i) => values.push(this.evalTypedArg(dot, a, params[i] ?? variadic ?? 'any', vars)));
    if (final !== MISSING) {
      const k = params[values.length] ?? variadic ?? 'any';
      values.push(this.checkType(final, k));
    }
    try {
      return f.call(...values);
    } catch (e) {
      this.at(node);
      if (e instanceof FuncError) this.errorf(`error calling ${name}: ${e.message}`);
      throw e;
    }
  }

  private evalTypedArg(dot: unknown, a: Arg, kind: Kind, vars: Vars): unknown {
    this.at(a);
    // Constants are checked against the parameter's kind as Go's evalArg does.
    if (kind === 'string' && (a.t === 'number' || a.t === 'bool' || a.t === 'nil')) this.errorf(`expected string; found ${argString(a)}`);
    if (kind === 'int' && (a.t === 'string' || a.t === 'bool' || a.t === 'nil' || (a.t === 'number' && a.int === undefined))) this.errorf(`expected integer; found ${argString(a)}`);
    if (kind === 'bool' && a.t !== 'bool' && (a.t === 'string' || a.t === 'number' || a.t === 'nil')) this.errorf(`expected bool; found ${argString(a)}`);
    if (a.t === 'nil' && kind === 'any') return null;
    const v = this.evalArg(dot, a, vars);
    this.at(a);
    return this.checkType(v, kind);
  }

  private checkType(v: unknown, kind: Kind): unknown {
    if (kind === 'any') return v === undefined ? null : v;
    const ok = kind === 'string' ? typeof v === 'string' : kind === 'int' ? typeof v === 'number' && Number.isInteger(v) : kind === 'strings' ? Array.isArray(v) || v === null : typeof v === 'boolean';
    const goKind = kind === 'strings' ? '[]string' : kind;
    if (!ok) {
      if (v === undefined) this.errorf(`invalid value; expected ${goKind}`);
      this.errorf(`wrong type for value; expected ${goKind}; got ${typeName(v)}`);
    }
    return v;
  }

  private evalArg(dot: unknown, a: Arg, vars: Vars): unknown {
    this.at(a);
    switch (a.t) {
      case 'dot': return dot;
      case 'nil': this.errorf('cannot assign nil to interface {}');
      case 'field': return this.evalFieldChain(dot, dot, a, a.idents, [a], MISSING, undefined);
      case 'variable': {
        const v = this.varValue(a.idents[0]!, vars);
        return a.idents.length === 1 ? v : this.evalFieldChain(dot, v, a, a.idents.slice(1), [a], MISSING, undefined);
      }
      case 'pipe': return this.evalPipeline(dot, a, vars);
      case 'identifier': {
        const f = this.funcs.get(a.name)!;
        if (LAZY.has(a.name)) return this.evalLazy(dot, a.name, { t: 'command', pos: a.pos, args: [a] }, MISSING, vars);
        return this.evalCall(dot, f, true, a, a.name, [a], MISSING, vars);
      }
      case 'chain': {
        const v = this.evalArg(dot, a.node, vars);
        return this.evalFieldChain(dot, v, a, a.fields, [a], MISSING, undefined);
      }
      case 'bool': return a.value;
      case 'number': return constant(a);
      case 'string': return a.text;
    }
  }
}

/** Go's idealConstant: a number written with `.` or an exponent is a float64, even when whole. */
function constant(n: Extract<Arg, { t: 'number' }>): unknown {
  const isFloatText = !/^[+-]?0[xX]/.test(n.text) && !n.text.startsWith("'") && /[.eEpP]/.test(n.text);
  return n.int !== undefined && !isFloatText ? n.int : new GoFloat(n.float!);
}

function byteLen(s: string): number {
  return new TextEncoder().encode(s).length;
}
