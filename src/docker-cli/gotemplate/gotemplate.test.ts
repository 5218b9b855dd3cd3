// Go's text/template semantics as data (the behaviour of Go's exec_test.go and
// parse_test.go cases, written out as template, data and expected text): what the docker
// fixtures (docker-fixtures.test.ts) cannot reach through a volume: nil, nested maps of
// interfaces, struct methods with arguments, missingkey=error, trim markers, variables.
import { describe, expect, it } from 'vitest';
import { GO_TYPE, GoTemplate, TemplateExecError, TemplateParseError } from './index.ts';

const struct = (type: string, fields: Record<string, unknown>) => ({ ...fields, [GO_TYPE]: type });
const data = {
  S: 'str', I: 17, F: 1.5, B: true, Nil: null, Empty: '', Zero: 0,
  SI: [3, 4, 5], SS: ['a', 'b'], SEmpty: [],
  MSI: { one: 1, two: 2, three: 3 }, Labels: { b: '2', a: '1' }, MNested: { a: { b: { c: 'deep' } } },
  T: struct('*main.T', { X: 'x', Method0: () => 'M0', Method1: (a: unknown) => `M1(${String(a)})`, Method2: (a: unknown, b: unknown) => `M2(${String(a)},${String(b)})` }),
};

const cases: [name: string, tmpl: string, want: string][] = [
  ['empty', '', ''],
  ['text', 'some text', 'some text'],
  ['dot string', '{{.S}}', 'str'],
  ['int', '{{.I}}', '17'],
  ['float', '{{.F}}', '1.5'],
  ['nil prints <nil>', '{{.Nil}}', '<nil>'],
  ['missing map key', '{{.MSI.four}}', '<no value>'],
  ['nested maps', '{{.MNested.a.b.c}}', 'deep'],
  ['slice', '{{.SI}}', '[3 4 5]'],
  ['map sorted keys', '{{.MSI}}', 'map[one:1 three:3 two:2]'],
  ['struct field', '{{.T.X}}', 'x'],
  ['method', '{{.T.Method0}}', 'M0'],
  ['method with arg', '{{.T.Method1 "a"}}', 'M1(a)'],
  ['method with two args', '{{.T.Method2 1 .S}}', 'M2(1,str)'],
  ['method arg from pipeline', '{{"p" | .T.Method1}}', 'M1(p)'],
  ['$ is the data', '{{with .T}}{{$.S}}{{end}}', 'str'],
  ['variable declared in if is gone after end', '{{if true}}{{$x := 1}}{{$x}}{{end}}', '1'],
  ['range index and element', '{{range $i, $e := .SI}}{{$i}}={{$e}} {{end}}', '0=3 1=4 2=5 '],
  ['range over map: keys sorted', '{{range $k, $v := .MSI}}{{$k}}{{$v}}{{end}}', 'one1three3two2'],
  ['range else', '{{range .SEmpty}}x{{else}}empty{{end}}', 'empty'],
  ['range over nil', '{{range .Nil}}x{{else}}nil{{end}}', 'nil'],
  ['if else-if else', '{{if .Zero}}a{{else if .Empty}}b{{else}}c{{end}}', 'c'],
  ['with else', '{{with .Empty}}x{{else}}none{{end}}', 'none'],
  ['and returns the deciding value', '{{and .I .S}} {{and .Zero .S}}', 'str 0'],
  ['or returns the deciding value', '{{or .Empty .S}} {{or .Zero .Empty}}', 'str '],
  ['not', '{{not .B}} {{not .SEmpty}}', 'false true'],
  ['eq with several', '{{eq .I 1 2 17}}', 'true'],
  ['eq int float', '{{eq 1 1.0}}', 'true'],
  ['lt strings', '{{lt "a" "b"}}', 'true'],
  ['len of map', '{{len .MSI}}', '3'],
  ['index of nested', '{{index .MNested "a" "b" "c"}}', 'deep'],
  ['index of slice', '{{index .SI 2}}', '5'],
  ['printf verbs', '{{printf "%v %s %d %q %t %x %5.1f|%-3d|" .SS .S .I .S .B 255 3.14159 7}}', '[a b] str 17 "str" true ff   3.1|7  |'],
  ['printf bad verb', '{{printf "%d" "x"}}', '%!d(string=x)'],
  ['print spacing', '{{print 1 2 "x" 3}}', '1 2x3'],
  ['println', '{{println 1 "a"}}', '1 a\n'],
  ['trim markers', 'a {{- 1 -}} b\n{{- 2}}', 'a1b2'],
  ['comment with trim', 'x {{- /* c */ -}} y', 'xy'],
  ['parenthesized chain', '{{(index .MNested "a").b.c}}', 'deep'],
  ['pipeline into functions', '{{.SS | len}} {{join .SS "," | upper}}', '2 A,B'],
  ['json of a map of strings (sorted keys, as Go) and nil', '{{json .Labels}} {{json .Nil}}', '{"a":"1","b":"2"} null'],
  ['define and template', '{{define "T1"}}ONE{{end}}{{define "T2"}}[{{template "T1"}}]{{end}}{{template "T2"}}', '[ONE]'],
  ['break and continue', '{{range .SI}}{{if eq . 4}}{{continue}}{{end}}{{if eq . 5}}{{break}}{{end}}{{.}}{{end}}', '3'],
  ['assignment in range changes outer variable', '{{$n := 0}}{{range .SI}}{{$n = .}}{{end}}{{$n}}', '5'],
];

describe('Go text/template semantics', () => {
  it.each(cases)('%s', (_name, tmpl, want) => {
    expect(GoTemplate.parse(tmpl).execute(data)).toBe(want);
  });

  const parseErrors: [string, string][] = [
    ['{{.S', 'template: :1: unclosed action'],
    ['{{if .B}}x', 'template: :1: unexpected EOF'],
    ['{{end}}', 'template: :1: unexpected {{end}}'],
    ['{{undefinedfn 1}}', 'template: :1: function "undefinedfn" not defined'],
    ['{{$u}}', 'template: :1: undefined variable "$u"'],
    ['a\nb\n{{.S', 'template: :3: unclosed action'],
    ['{{range .SI}}{{end}}{{break}}', 'template: :1: {{break}} outside {{range}}'],
    ['{{.S | 1}}', 'template: :1: non executable command in pipeline stage 2'],
  ];
  it.each(parseErrors)('parse error: %s', (tmpl, msg) => {
    expect(() => GoTemplate.parse(tmpl)).toThrow(new TemplateParseError(msg));
  });

  const execErrors: [string, string, { missingKeyError?: boolean }?][] = [
    ['{{.T.Nope}}', 'template: :1:4: executing "" at <.T.Nope>: can\'t evaluate field Nope in type *main.T'],
    ['{{.Nil.X}}', 'template: :1:6: executing "" at <.Nil.X>: nil pointer evaluating interface {}.X'],
    ['{{.T.Method1}}', 'template: :1:4: executing "" at <.T.Method1>: wrong number of args for Method1: want 1 got 0'],
    ['{{index .SI 9}}', 'template: :1:2: executing "" at <index .SI 9>: error calling index: index out of range: 9'],
    ['{{.MSI.four}}', 'template: :1:6: executing "" at <.MSI.four>: map has no entry for key "four"', { missingKeyError: true }],
    ['{{eq .SI 1}}', 'template: :1:2: executing "" at <eq .SI 1>: error calling eq: incompatible types for comparison'],
  ];
  it.each(execErrors)('exec error: %s', (tmpl, msg, opts) => {
    expect(() => GoTemplate.parse(tmpl).execute(data, opts)).toThrow(new TemplateExecError(msg));
  });
});
