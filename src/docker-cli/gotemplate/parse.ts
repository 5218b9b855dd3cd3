/**
 * Go's text/template parser (text/template/parse/parse.go): the tree of text, actions,
 * `if`/`range`/`with`/`define`/`template`/`block`, pipelines, commands and operands, with
 * Go's parse errors (`template: :LINE: MESSAGE`) and node positions for exec errors.
 */
import { lex, tokenString, type Token } from './lex.ts';

export type Arg =
  | { t: 'field'; pos: number; idents: string[] }
  | { t: 'variable'; pos: number; idents: string[] }
  | { t: 'dot'; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'bool'; pos: number; value: boolean }
  | { t: 'number'; pos: number; text: string; int?: number; float?: number }
  | { t: 'string'; pos: number; quoted: string; text: string }
  | { t: 'identifier'; pos: number; name: string }
  | { t: 'chain'; pos: number; node: Arg; fields: string[] }
  | Pipe;

export interface Command {
  t: 'command';
  pos: number;
  args: Arg[];
}

export interface Pipe {
  t: 'pipe';
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pos: number; pipe: Pipe }
  | Control
  | { t: 'break' | 'continue'; pos: number }
  | { t: 'template'; pos: number; name: string; quoted: string; pipe: Pipe | undefined };

export interface Control {
  t: 'if' | 'range' | 'with';
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | undefined;
}

/** A parse failure, with Go's text (`template: :1: unexpected EOF`). */
export class TemplateParseError extends Error {}

export interface Parsed {
  root: Node[];
  /** `{{define}}` and `{{block}}` templates by name. */
  defines: Map<string, Node[]>;
}

export function parseTemplate(text: string, funcs: ReadonlySet<string>, name = ''): Parsed {
  return new Parser(text, funcs, name).parse();
}

type End = { t: 'end'; pos: number } | { t: 'else'; pos: number };

class Parser {
  private toks: Token[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private defines = new Map<string, Node[]>();
  private last: Token;

  constructor(private text: string, private funcs: ReadonlySet<string>, private name: string) {
    this.toks = lex(text);
    this.last = this.toks[0]!;
  }

  parse(): Parsed {
    const root: Node[] = [];
    while (this.peek().typ !== 'eof') {
      if (this.peek().typ === 'left' && this.peekAfterLeft()?.val === 'define' && this.peekAfterLeft()?.typ === 'keyword') {
        this.next();
        this.nextNonSpace();
        this.parseDefinition();
        continue;
      }
      const n = this.textOrAction();
      if ('t' in n && (n.t === 'end' || n.t === 'else')) this.errorf(`unexpected {{${n.t}}}`);
      root.push(n as Node);
    }
    return { root, defines: this.defines };
  }

  private peekAfterLeft(): Token | undefined {
    let j = this.i + 1;
    while (this.toks[j]?.typ === 'space') j++;
    return this.toks[j];
  }

  private errorf(msg: string): never {
    throw new TemplateParseError(`template: ${this.name}:${this.last.line}: ${msg}`);
  }

  private next(): Token {
    const t = this.toks[this.i]!;
    if (this.i < this.toks.length - 1) this.i++;
    this.last = t;
    if (t.typ === 'error') this.errorf(t.val);
    return t;
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Token {
    const t = this.toks[this.i]!;
    if (t.typ === 'error') {
      this.last = t;
      this.errorf(t.val);
    }
    return t;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.typ === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private expect(typ: Token['typ'], context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.typ === 'error') this.errorf(t.val);
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  private parseDefinition(): void {
    const vars = this.vars;
    this.vars = ['$'];
    const nameTok = this.nextNonSpace();
    if (nameTok.typ !== 'string' && nameTok.typ !== 'rawString') this.unexpected(nameTok, 'define clause');
    const name = unquote(nameTok.val, (m) => this.errorf(m));
    this.expect('right', 'define clause');
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.errorf('unexpected {{else}} in define clause');
    this.defines.set(name, list);
    this.vars = vars;
  }

  /** Nodes up to `{{end}}` or `{{else}}`. */
  private itemList(): [Node[], End] {
    const list: Node[] = [];
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if ('t' in n && (n.t === 'end' || n.t === 'else')) return [list, n as End];
      list.push(n as Node);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | End {
    const t = this.nextNonSpace();
    if (t.typ === 'text') return { t: 'text', text: t.val };
    if (t.typ === 'left') {
      if (this.peekNonSpace().typ === 'comment') {
        this.next();
        this.expect('right', 'comment');
        return { t: 'text', text: '' };
      }
      return this.action();
    }
    this.unexpected(t, 'input');
  }

  private action(): Node | End {
    const t = this.nextNonSpace();
    if (t.typ === 'keyword') {
      switch (t.val) {
        case 'block': return this.blockControl();
        case 'break': return this.breakControl(t, 'break');
        case 'continue': return this.breakControl(t, 'continue');
        case 'else': return this.elseControl();
        case 'end': return this.endControl();
        case 'if': return this.control('if', t);
        case 'range': return this.control('range', t);
        case 'template': return this.templateControl(t);
        case 'with': return this.control('with', t);
        case 'define': this.errorf('unexpected <define> in command');
      }
    }
    this.backup();
    const tok = this.peek();
    return { t: 'action', pos: tok.pos, pipe: this.pipeline('command', 'right') };
  }

  private breakControl(t: Token, name: 'break' | 'continue'): Node {
    const tok = this.nextNonSpace();
    if (tok.typ !== 'right') this.unexpected(tok, `{{${name}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${name}}} outside {{range}}`);
    return { t: name, pos: t.pos };
  }

  private elseControl(): End {
    const p = this.peekNonSpace();
    // `{{else if ...}}` is `{{else}}{{if ...}}...{{end}}`: leave `if` to be read next.
    if (p.typ === 'keyword' && p.val === 'if') return { t: 'else', pos: p.pos, elseIf: true } as End;
    const tok = this.expect('right', 'else');
    return { t: 'else', pos: tok.pos };
  }

  private endControl(): End {
    const tok = this.expect('right', 'end');
    return { t: 'end', pos: tok.pos };
  }

  private control(kind: 'if' | 'range' | 'with', t: Token): Node {
    const saved = this.vars.length;
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.rangeDepth++;
    let [list, next] = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (next.t === 'else') {
      if ((next as { elseIf?: boolean }).elseIf && kind !== 'range') {
        // `{{else if}}`/`{{else with}}`: a nested control that ends at this one's {{end}}.
        const kw = this.nextNonSpace();
        elseList = [this.control(kw.val as 'if' | 'with', kw)];
      } else if ((next as { elseIf?: boolean }).elseIf) {
        this.errorf('unexpected <if> in else');
      } else {
        const [l, end] = this.itemList();
        if (end.t !== 'end') this.errorf('expected end; found {{else}}');
        elseList = l;
      }
    }
    this.vars.length = saved;
    return { t: kind, pos: t.pos, pipe, list, elseList };
  }

  private templateControl(_t: Token): Node {
    const tok = this.nextNonSpace();
    if (tok.typ !== 'string' && tok.typ !== 'rawString') this.unexpected(tok, 'template clause');
    const name = unquote(tok.val, (m) => this.errorf(m));
    let pipe: Pipe | undefined;
    if (this.nextNonSpace().typ !== 'right') {
      this.backup();
      pipe = this.pipeline('template clause', 'right');
    }
    return { t: 'template', pos: tok.pos, name, quoted: tok.val, pipe };
  }

  private blockControl(): Node {
    const tok = this.nextNonSpace();
    if (tok.typ !== 'string' && tok.typ !== 'rawString') this.unexpected(tok, 'block clause');
    const name = unquote(tok.val, (m) => this.errorf(m));
    let pipe: Pipe | undefined;
    if (this.nextNonSpace().typ !== 'right') {
      this.backup();
      pipe = this.pipeline('block clause', 'right');
    }
    const [list, end] = this.itemList();
    if (end.t !== 'end') this.errorf('unexpected {{else}} in block clause');
    this.defines.set(name, list);
    return { t: 'template', pos: tok.pos, name, quoted: tok.val, pipe };
  }

  private pipeline(context: string, end: 'right' | 'rightParen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { t: 'pipe', pos: start.pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: `$x :=`, `$x =`, `$i, $v :=` (range only).
    for (;;) {
      const save = this.i;
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.typ === 'assign' || after.typ === 'declare') {
        pipe.isAssign = after.typ === 'assign';
        this.nextNonSpace();
        pipe.decl.push(v.val);
        if (pipe.isAssign) this.useVar(v.val);
        else this.vars.push(v.val);
        break;
      }
      if (after.typ === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const nv = this.peekNonSpace();
          if (nv.typ === 'variable' || nv.typ === 'right' || nv.typ === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      // Not a declaration: the variable starts the first command.
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case 'bool': case 'char': case 'dot': case 'field': case 'identifier': case 'number': case 'nil':
        case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: Pipe, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.t;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') this.errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  }

  private command(): Command {
    const cmd: Command = { t: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === 'space') continue;
      if (t.typ === 'right' || t.typ === 'rightParen') this.backup();
      else if (t.typ !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().typ !== 'field') return node;
    // Go gives the whole chain the position of its first chained field.
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
    switch (node.t) {
      case 'field': return { t: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable': return { t: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.errorf(`unexpected . after term ${JSON.stringify(argString(node))}`);
      default: return { t: 'chain', pos, node, fields };
    }
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!this.funcs.has(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`);
        return { t: 'identifier', pos: t.pos, name: t.val };
      case 'dot': return { t: 'dot', pos: t.pos };
      case 'nil': return { t: 'nil', pos: t.pos };
      case 'variable': return { t: 'variable', pos: t.pos, idents: [this.useVar(t.val)] };
      case 'field': return { t: 'field', pos: t.pos, idents: [t.val.slice(1)] };
      case 'bool': return { t: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'char': case 'number': return this.number(t);
      case 'leftParen': return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString':
        return { t: 'string', pos: t.pos, quoted: t.val, text: unquote(t.val, (m) => this.errorf(m)) };
    }
    this.backup();
    return undefined;
  }

  private useVar(name: string): string {
    if (!this.vars.includes(name)) this.errorf(`undefined variable ${JSON.stringify(name)}`);
    return name;
  }

  private number(t: Token): Arg {
    if (t.typ === 'char') {
      const s = unquote(`"${t.val.slice(1, -1).replace(/"/g, '\\"')}"`, (m) => this.errorf(m));
      if ([...s].length !== 1) this.errorf(`malformed character constant: ${t.val}`);
      const cp = s.codePointAt(0)!;
      return { t: 'number', pos: t.pos, text: t.val, int: cp, float: cp };
    }
    const text = t.val.replace(/_/g, '');
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported by tabdock: ${t.val}`);
    const neg = text.startsWith('-');
    const body = text.replace(/^[+-]/, '');
    let n: number;
    let isInt = false;
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) (n = Number.parseInt(body.slice(2), 16)), (isInt = true);
    else if (/^0[oO][0-7]+$/.test(body)) (n = Number.parseInt(body.slice(2), 8)), (isInt = true);
    else if (/^0[bB][01]+$/.test(body)) (n = Number.parseInt(body.slice(2), 2)), (isInt = true);
    else if (/^0[0-7]+$/.test(body)) (n = Number.parseInt(body, 8)), (isInt = true);
    else if (/^[0-9]+$/.test(body)) (n = Number(body)), (isInt = true);
    else if (/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) n = Number(body);
    else this.errorf(`illegal number syntax: ${JSON.stringify(t.val)}`);
    if (neg) n = -n;
    // A float constant with an integral value is also an integer (Go's parse.NumberNode).
    const int = isInt || Number.isInteger(n) ? n : undefined;
    return { t: 'number', pos: t.pos, text: t.val, ...(int !== undefined ? { int } : {}), float: n };
  }
}

/** strconv.Unquote for "..." and `...`. */
function unquote(q: string, fail: (m: string) => never): string {
  if (q.startsWith('`')) return q.slice(1, -1);
  const body = q.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (e !== undefined && e in simple) out += simple[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail('invalid syntax');
      out += e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16));
      i += n;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) fail('invalid syntax');
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else fail('invalid syntax');
  }
  return out;
}

/** A node as Go's String() prints it (the `<...>` of exec errors). */
export function argString(a: Arg | Command): string {
  switch (a.t) {
    case 'field': return a.idents.map((x) => `.${x}`).join('');
    case 'variable': return a.idents.join('.');
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(a.value);
    case 'number': return a.text;
    case 'string': return a.quoted;
    case 'identifier': return a.name;
    case 'chain': return `${a.node.t === 'pipe' ? `(${argString(a.node)})` : argString(a.node)}${a.fields.map((f) => `.${f}`).join('')}`;
    case 'command': return a.args.map((x) => (x.t === 'pipe' ? `(${argString(x)})` : argString(x))).join(' ');
    case 'pipe': return `${a.decl.length ? `${a.decl.join(', ')} ${a.isAssign ? '=' : ':='} ` : ''}${a.cmds.map(argString).join(' | ')}`;
  }
}
