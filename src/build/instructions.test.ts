import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { parseInstructions, parseGoDuration, type Instruction } from './instructions.ts';
import { parseDockerfile } from './parser.ts';

const parse = (text: string) => parseInstructions(parseDockerfile(text));
const only = (line: string): Instruction => parse(`FROM x\n${line}\n`).stages[0]!.instructions[0]!;
const failure = (text: string) => {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof TabdockError) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('parsed');
};

// Expected messages from BuildKit's instructions/parse_test.go and parse.go's wording.
describe("argument counts and errors (BuildKit's parse_test.go)", () => {
  it.each(['MAINTAINER', 'WORKDIR', 'USER', 'STOPSIGNAL'])('%s requires exactly one argument', (c) => {
    expect(failure(`FROM x\n${c}\n`)).toBe(`DOCKERFILE_INVALID: dockerfile parse error on line 2: ${c} requires exactly one argument`);
  });
  it.each(['ENV', 'LABEL', 'ONBUILD', 'HEALTHCHECK', 'EXPOSE', 'VOLUME'])('%s requires at least one argument', (c) => {
    expect(failure(`FROM x\n${c}\n`)).toContain(`${c} requires at least one argument`);
  });
  it.each(['ADD', 'COPY'])('%s arg1 has no destination', (c) => {
    expect(failure(`FROM x\n${c} arg1\n`)).toContain(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);
  });
  it.each([
    ['ONBUILD FROM scratch', "FROM isn't allowed as an ONBUILD trigger"],
    ['MAINTAINER --boo joe@example.com', 'unknown flag: --boo'],
    ['ONBUILD ONBUILD RUN touch foobar', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['FOO bar', 'unknown instruction: FOO (did you mean FROM?)'],
    ['foo bar', 'unknown instruction: foo (did you mean from?)'],
    ['BOGUS x', 'unknown instruction: BOGUS'],
    ['RUNN echo', 'unknown instruction: RUNN (did you mean RUN?)'],
    ['COPY --from=a --from=b x y', 'duplicate flag specified: --from'],
    ['COPY --chown x y', 'missing a value on flag: --chown'],
    ['COPY --link=maybe x y', 'expecting boolean value for flag --link, not: maybe'],
    ['SHELL /bin/sh -c', 'SHELL requires the arguments to be in JSON form'],
    ['HEALTHCHECK NONE x', 'HEALTHCHECK NONE takes no arguments'],
    ['HEALTHCHECK --interval=50ns CMD x', 'Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --retries=-1 CMD x', '--retries cannot be negative (-1)'],
    ['HEALTHCHECK BOO x', 'Unknown type "BOO" in HEALTHCHECK (try CMD)'],
    ['RUN --network=bridge true', 'invalid network mode "bridge"'],
    ['COPY <<EOF <<EOF\nx\nEOF\ny\nEOF', 'COPY cannot accept a heredoc as a destination'],
  ])('%s', (line, msg) => {
    expect(failure(`FROM x\n${line}\n`)).toBe(`DOCKERFILE_INVALID: dockerfile parse error on line 2: ${msg}`);
  });
  it('refuses an instruction before the first FROM (other than ARG) and a file without FROM', () => {
    expect(failure('RUN true\nFROM x\n')).toContain('line 1: no build stage in current context');
    expect(failure('ARG A=1\n')).toBe('DOCKERFILE_INVALID: dockerfile contains no stages to build');
  });
  it('refuses what this builder does not do, with a sentence naming the line', () => {
    expect(failure('FROM x\n\nRUN --mount=type=cache,target=/c true\n')).toBe(
      'DOCKERFILE_UNSUPPORTED: dockerfile parse error on line 3: RUN --mount is not supported by this builder',
    );
    expect(failure('FROM x\nADD --keep-git-dir=true https://x/y.git /s\n')).toContain('DOCKERFILE_UNSUPPORTED');
    expect(failure('FROM x\nCOPY --parents a/b /c\n')).toContain('DOCKERFILE_UNSUPPORTED');
  });
  it('refuses a bad stage name and a FROM with two words', () => {
    expect(failure('FROM x AS 1st\n')).toContain('invalid name for build stage: "1st", name can\'t start with a number or contain symbols');
    expect(failure('FROM x y\n')).toContain('FROM requires either one or three arguments');
  });
});

describe('typed instructions', () => {
  it('HEALTHCHECK CMD shell form and all its flags (durations in ns as the image config keeps them)', () => {
    expect(only('HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 CMD curl -f http://localhost/ || exit 1')).toMatchObject({
      kind: 'HEALTHCHECK',
      health: { test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 300e9, timeout: 3e9, startPeriod: 90e9, startInterval: 500e6, retries: 3 },
    });
    expect(only('HEALTHCHECK CMD ["/bin/check", "-q"]')).toMatchObject({ health: { test: ['CMD', '/bin/check', '-q'] } });
    expect(only('healthcheck none')).toMatchObject({ health: { test: ['NONE'] } });
  });

  it('Go durations', () => {
    expect(parseGoDuration('1h2m3.5s')).toBe(3723.5e9);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('5')).toThrow('time: missing unit in duration "5"');
  });

  it('ENV in both forms, LABEL, ARG with and without defaults', () => {
    expect(only('ENV A=1 B="two words"')).toMatchObject({ pairs: [{ key: 'A', value: '1', noDelim: false }, { key: 'B', value: '"two words"', noDelim: false }] });
    expect(only('ENV PATH /usr/local/bin:$PATH')).toMatchObject({ pairs: [{ key: 'PATH', value: '/usr/local/bin:$PATH', noDelim: true }] });
    expect(only('LABEL a=b "c d"=e')).toMatchObject({ pairs: [{ key: 'a', value: 'b' }, { key: '"c d"', value: 'e' }] });
    expect(only('ARG A B=2')).toMatchObject({ args: [{ key: 'A' }, { key: 'B', value: '2' }] });
  });

  it('RUN, CMD, ENTRYPOINT in exec and shell form; RUN --network; heredoc files', () => {
    expect(only('RUN ["echo", "a b"]')).toMatchObject({ kind: 'RUN', cmdLine: ['echo', 'a b'], prependShell: false, network: 'default' });
    expect(only('RUN --network=none apk add x')).toMatchObject({ cmdLine: ['apk add x'], prependShell: true, network: 'none' });
    expect(only('CMD echo $HOME')).toMatchObject({ kind: 'CMD', cmdLine: ['echo $HOME'], prependShell: true });
    expect(only('RUN <<EOF\necho hi\nEOF')).toMatchObject({ cmdLine: ['<<EOF'], files: [{ name: 'EOF', data: 'echo hi\n', chomp: false, expand: true }] });
  });

  it('COPY/ADD: sources, heredoc sources (<<- chomped), flags', () => {
    expect(only('COPY --from=build --chown=app:app --chmod=755 --link a b* /dst/')).toMatchObject({
      kind: 'COPY', from: 'build', chown: 'app:app', chmod: '755', link: true, sources: ['a', 'b*'], dest: '/dst/', contents: [],
    });
    expect(only('COPY <<-"A" <<B /etc/\n\tone $X\n\tA\ntwo $X\nB')).toMatchObject({
      sources: [], dest: '/etc/', contents: [{ path: 'A', data: 'one $X\n', expand: false }, { path: 'B', data: 'two $X\n', expand: true }],
    });
    expect(only('ADD --checksum=sha256:abc --unpack=false https://example.invalid/a.tar.gz /')).toMatchObject({ kind: 'ADD', checksum: 'sha256:abc', unpack: false });
    expect(only('COPY ["a b", "/c d/"]')).toMatchObject({ sources: ['a b'], dest: '/c d/' });
  });

  it('EXPOSE sorted as BuildKit sorts it, VOLUME in both forms, ONBUILD keeps its expression', () => {
    expect(only('EXPOSE 8080 443/tcp 53/udp')).toMatchObject({ ports: ['443/tcp', '53/udp', '8080'] });
    expect(only('VOLUME ["/a", "/b"]')).toMatchObject({ volumes: ['/a', '/b'] });
    expect(only('VOLUME /a /b')).toMatchObject({ volumes: ['/a', '/b'] });
    expect(only('ONBUILD COPY . /app')).toMatchObject({ kind: 'ONBUILD', expression: 'COPY . /app' });
  });

  it('stages: names lower-cased, --platform kept for planning, meta ARGs apart', () => {
    const df = parse('ARG V=3\nFROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nRUN go build\nFROM alpine:$V\nCOPY --from=build /out /\n');
    expect(df.metaArgs.map((a) => a.args)).toEqual([[{ key: 'V', value: '3' }]]);
    expect(df.stages.map((s) => [s.index, s.name, s.baseName, s.platform, s.line, s.instructions.length])).toEqual([
      [0, 'build', 'golang:1.22', '$BUILDPLATFORM', 2, 1],
      [1, '', 'alpine:$V', '', 4, 1],
    ]);
  });
});

describe('ONBUILD triggers of a base', () => {
  it('parses each trigger, heredoc bodies kept (the expression ONBUILD stores)', async () => {
    const { parseOnbuildTriggers } = await import('./instructions.ts');
    const stored = only('ONBUILD RUN <<EOF\necho hi\nEOF');
    const expr = stored.kind === 'ONBUILD' ? stored.expression : '';
    expect(expr).toBe('RUN <<EOF\necho hi\nEOF');
    const [run, copy] = parseOnbuildTriggers([expr, 'COPY . /app']);
    expect(run).toMatchObject({ kind: 'RUN', cmdLine: ['<<EOF'], files: [{ name: 'EOF', data: 'echo hi\n' }] });
    expect(copy).toMatchObject({ kind: 'COPY', sources: ['.'], dest: '/app' });
    expect(() => parseOnbuildTriggers(['FROM x'])).toThrow("FROM isn't allowed as an ONBUILD trigger");
    expect(() => parseOnbuildTriggers(['RUN a\nRUN b'])).toThrow('onbuild trigger should be a single expression');
    expect(() => parseOnbuildTriggers(['BOGUS x'])).toThrow('unknown instruction: BOGUS');
  });
});
