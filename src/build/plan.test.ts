import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { parseInstructions, type Instruction } from './instructions.ts';
import { parseDockerfile } from './parser.ts';
import { planBuild, type BuildPlan, type PlanOptions } from './plan.ts';
import { StageVars } from './stage-vars.ts';

const PLATFORM: Pick<PlanOptions, 'targetPlatform' | 'buildPlatform'> = {
  targetPlatform: { os: 'linux', architecture: '386' },
  buildPlatform: { os: 'linux', architecture: '386' },
};
const plan = (text: string, o: Partial<PlanOptions> = {}) => planBuild(parseInstructions(parseDockerfile(text)), { ...PLATFORM, ...o });

/** Dispatches every needed stage's instructions through StageVars, as the builder will. */
function dispatch(p: BuildPlan, imageEnv: Record<string, string[]> = {}): { stage: string; vars: StageVars; out: Instruction[] }[] {
  const done = new Map<number, StageVars>();
  return p.needed.map((i) => {
    const st = p.stages[i]!;
    const vars = st.base.kind === 'stage' ? done.get(st.base.index)!.fork() : StageVars.fromImage(p, imageEnv[st.resolvedBase] ?? []);
    const out = st.instructions.map((ins) => vars.apply(ins));
    done.set(i, vars);
    return { stage: st.displayName, vars, out };
  });
}

// Each case is an example of the Dockerfile reference (BuildKit's frontend/dockerfile/docs/
// reference.md) with the outcome the reference states.
describe('the Dockerfile reference examples', () => {
  it('"Understand how ARG and FROM interact": ARG before FROM is in FROM and, redeclared, in the stage', () => {
    const p = plan('ARG  CODE_VERSION=latest\nFROM base:${CODE_VERSION}\nCMD  /code/run-app\n\nFROM extras:${CODE_VERSION}\nCMD  /code/run-extras\n');
    expect(p.stages.map((s) => s.resolvedBase)).toEqual(['base:latest', 'extras:latest']);
    const p2 = plan('ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nRUN echo $VERSION > image_version\n');
    const [s] = dispatch(p2);
    expect(s!.vars.get('VERSION')).toBe('latest');
    expect(plan('ARG VERSION=latest\nFROM busybox:$VERSION\n', { buildArgs: { VERSION: '1.36' } }).stages[0]!.resolvedBase).toBe('busybox:1.36');
  });

  it('"Scope": a variable is empty before its ARG, the --build-arg value after', () => {
    const p = plan('FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n', { buildArgs: { username: 'what_user' } });
    const [s] = dispatch(p);
    expect(s!.out.filter((i) => i.kind === 'USER').map((i) => (i.kind === 'USER' ? i.user : ''))).toEqual(['some_user', 'what_user']);
  });

  it('"Using ARG variables": ENV overrides an ARG of the same name; ENV ${V:-default} keeps the --build-arg', () => {
    const df = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\n';
    expect(dispatch(plan(df, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }))[0]!.vars.get('CONT_IMG_VER')).toBe('v1.0.0');
    const df2 = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nRUN echo $CONT_IMG_VER\n';
    expect(dispatch(plan(df2))[0]!.vars.get('CONT_IMG_VER')).toBe('v1.0.0');
    expect(dispatch(plan(df2, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }))[0]!.vars.get('CONT_IMG_VER')).toBe('v2.0.1');
  });

  it('"Environment replacement": WORKDIR/ADD/COPY expand, an escaped $ stays, one value per instruction', () => {
    const [s] = dispatch(plan('FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n'));
    expect(s!.out[1]).toMatchObject({ kind: 'WORKDIR', path: '/bar' });
    expect(s!.out[2]).toMatchObject({ kind: 'ADD', sources: ['.'], dest: '/bar' });
    expect(s!.out[3]).toMatchObject({ kind: 'COPY', sources: ['$FOO'], dest: '/quux' });
    expect([s!.vars.get('def'), s!.vars.get('ghi')]).toEqual(['hello', 'bye']);
  });

  it('"Automatic platform ARGs": global only, redeclared to use in a stage; --platform=$BUILDPLATFORM', () => {
    const p = plan('FROM --platform=$BUILDPLATFORM alpine AS b\nRUN echo $TARGETPLATFORM\nARG TARGETPLATFORM\nARG TARGETARCH\n', {
      targetPlatform: { os: 'linux', architecture: 'arm', variant: 'v7' },
      buildPlatform: { os: 'linux', architecture: '386' },
    });
    expect(p.stages[0]!.resolvedPlatform).toBe('linux/386');
    const [s] = dispatch(p);
    expect(s!.vars.envList()).toEqual(['TARGETPLATFORM=linux/arm/v7', 'TARGETARCH=arm']);
  });

  it('"Predefined ARGs": proxy build args reach RUN apart from the stage variables unless declared', () => {
    const p = plan('FROM ubuntu\nRUN echo "Hello World"\n', { buildArgs: { HTTP_PROXY: 'http://proxy.invalid:3128' } });
    expect([...p.proxyEnv]).toEqual([['HTTP_PROXY', 'http://proxy.invalid:3128']]);
    expect(dispatch(p)[0]!.vars.envList()).toEqual([]);
    const p2 = plan('FROM ubuntu\nARG HTTP_PROXY\nRUN echo "Hello World"\n', { buildArgs: { HTTP_PROXY: 'http://proxy.invalid:3128' } });
    expect(dispatch(p2)[0]!.vars.envList()).toEqual(['HTTP_PROXY=http://proxy.invalid:3128']);
  });

  it('"Here-Documents": COPY <<-EOT expands ${FOO}; a quoted delimiter does not', () => {
    const [a] = dispatch(plan('FROM alpine\nARG FOO=bar\nCOPY <<-EOT /script.sh\n  echo "hello ${FOO}"\nEOT\nENTRYPOINT ash /script.sh\n'));
    expect(a!.out[1]).toMatchObject({ kind: 'COPY', contents: [{ path: 'EOT', data: '  echo "hello bar"\n' }], dest: '/script.sh' });
    const [b] = dispatch(plan('FROM alpine\nARG FOO=bar\nCOPY <<-"EOT" /script.sh\n  echo "hello ${FOO}"\nEOT\n'));
    expect(b!.out[1]).toMatchObject({ contents: [{ data: '  echo "hello ${FOO}"\n' }] });
  });

  it('"escape": with the backtick, a trailing backslash is a Windows path, not a continuation', () => {
    const [s] = dispatch(plan('# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n'));
    expect(s!.out[0]).toMatchObject({ kind: 'COPY', sources: ['testfile.txt'], dest: 'c:\\', line: 4 });
    expect(s!.out[1]).toMatchObject({ kind: 'RUN', cmdLine: ['dir c:\\'], line: 5 });
    const [w] = dispatch(plan('# escape=`\n\nFROM microsoft/nanoserver\nSHELL ["powershell","-command"]\nRUN New-Item -ItemType Directory C:\\Example\nADD Execute-MyCmdlet.ps1 c:\\example\\\nRUN c:\\example\\Execute-MyCmdlet -sample \'hello world\'\n'));
    expect(w!.out.map((i) => i.kind)).toEqual(['SHELL', 'RUN', 'ADD', 'RUN']);
    expect(w!.out[0]).toMatchObject({ shell: ['powershell', '-command'] });
    expect(w!.out[2]).toMatchObject({ dest: 'c:\\example\\' });
    expect(w!.out[3]).toMatchObject({ cmdLine: ["c:\\example\\Execute-MyCmdlet -sample 'hello world'"] });
  });

  it('the base image environment takes part (FROM golang / WORKDIR $GOPATH/src)', () => {
    const [s] = dispatch(plan('FROM golang:1.22\nWORKDIR $GOPATH/src/app\nRUN go build\n'), { 'golang:1.22': ['PATH=/usr/local/go/bin:/usr/bin', 'GOPATH=/go'] });
    expect(s!.out[0]).toMatchObject({ path: '/go/src/app' });
  });

  it('${V:?message} fails naming the line', () => {
    expect(() => dispatch(plan('FROM a\n\nWORKDIR ${DIR:?set DIR}\n'))).toThrow('dockerfile parse error on line 3: failed to process "${DIR:?set DIR}": DIR: set DIR');
  });
});

describe('stages', () => {
  const MULTI = [
    'FROM alpine AS base', 'RUN echo base',
    'FROM base AS build-a', 'RUN echo a',
    'FROM base AS build-b', 'RUN echo b',
    'FROM golang AS tools', 'RUN echo tools',
    'FROM scratch', 'COPY --from=build-a /a /a', 'COPY --from=2 /b /b', 'COPY --from=nginx:latest /etc/nginx /n',
  ].join('\n');

  it('needs only what the target reaches, by FROM and COPY --from (name, index, image)', () => {
    const p = plan(MULTI);
    expect(p.target.displayName).toBe('stage-4');
    expect(p.needed).toEqual([0, 1, 2, 4]);
    expect(p.target.base).toEqual({ kind: 'scratch' });
    expect(p.target.copyFromImages).toEqual(['nginx:latest']);
    expect(p.stages[1]!.base).toEqual({ kind: 'stage', index: 0 });
    expect(p.stages[3]!.base).toEqual({ kind: 'image', ref: 'golang' });
  });

  it('--target picks a stage (case-insensitively) and skips the rest', () => {
    expect(plan(MULTI, { target: 'build-b' }).needed).toEqual([0, 2]);
    expect(plan(MULTI, { target: 'TOOLS' }).needed).toEqual([3]);
  });

  it('a missing target is BUILD_TARGET_NOT_FOUND with BuildKit\'s words and suggestion', () => {
    const e = (() => {
      try {
        plan(MULTI, { target: 'build-c' });
      } catch (err) {
        return err as TabdockError;
      }
    })();
    expect(e?.code).toBe('BUILD_TARGET_NOT_FOUND');
    expect(e?.message).toBe('target stage "build-c" could not be found (did you mean build-a?)');
  });

  it('refuses COPY --from with a variable, a stage index out of range and a cycle', () => {
    expect(() => plan('FROM a\nARG S=x\nCOPY --from=$S /a /a\n')).toThrow('variable expansion is not supported for --from');
    expect(() => plan('FROM a\nCOPY --from=5 /a /a\n')).toThrow('dockerfile parse error on line 2: invalid stage index 5');
    expect(() => plan('FROM a AS one\nCOPY --from=two /a /a\nFROM one AS two\n')).toThrow('circular dependency detected on stage: one');
    expect(() => plan('ARG B\nFROM $B\n')).toThrow('base name ($B) should not be blank');
  });
});

// BuildKit's dockerfile2llb/convert_expose_test.go cases, through EXPOSE's expansion.
describe('EXPOSE as the config keeps it', () => {
  const exposed = (line: string, args: Record<string, string> = {}) => {
    const [s] = dispatch(plan(`FROM a\nARG P\n${line}\n`, { buildArgs: args }));
    const e = s!.out[1]!;
    return e.kind === 'EXPOSE' ? e.ports : [];
  };
  it.each([
    ['EXPOSE 0.0.0.0:1234-1235:3333-3334/tcp', ['3333/tcp', '3334/tcp']],
    ['EXPOSE [2001:4860:0:2001::68]::333', ['333/tcp']],
    ['EXPOSE [::1]:80:80', ['80/tcp']],
    ['EXPOSE 2001:4860:0:2001::68::333', ['333/tcp']],
    ['EXPOSE ::1:80:80', ['80/tcp']],
    ['EXPOSE 53/UDP 80', ['53/udp', '80/tcp']],
  ])('%s', (line, want) => expect(exposed(line)).toEqual(want));
  it('expands and splits words, and refuses a bad value naming the line', () => {
    expect(exposed('EXPOSE $P', { P: '80 443/tcp' })).toEqual(['80/tcp', '443/tcp']);
    expect(() => exposed('EXPOSE 0.0.0.0:1234-1235:/tcp')).toThrow('dockerfile parse error on line 3: invalid port: "0.0.0.0:1234-1235:/tcp": no port specified');
    expect(() => exposed('EXPOSE 80/xtp')).toThrow('invalid proto: xtp');
    expect(() => exposed('EXPOSE 99999')).toThrow('invalid containerPort: 99999');
  });
});

// convert_copy.go's checks on COPY/ADD sources and the flags that depend on them.
describe('COPY/ADD sources', () => {
  const run = (line: string) => dispatch(plan(`FROM a\n${line}\n`));
  it('classifies local paths and ADD URLs (named after their last segment)', async () => {
    const { classifySources } = await import('./copy-sources.ts');
    const [s] = run('ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.invalid/x/v1.2/app.tar.gz /opt/');
    const add = s!.out[0]!;
    expect(add.kind === 'ADD' && classifySources(add)).toEqual([{ kind: 'url', url: 'https://example.invalid/x/v1.2/app.tar.gz', filename: 'app.tar.gz' }]);
    const [c] = run('COPY --chmod=0755 a dir/ /dst/');
    const copy = c!.out[0]!;
    expect(copy.kind === 'COPY' && classifySources(copy)).toEqual([{ kind: 'local', path: 'a' }, { kind: 'local', path: 'dir/' }]);
  });
  it.each([
    ['COPY https://example.invalid/f /f', "source can't be a URL for COPY"],
    ['COPY git@github.com:moby/buildkit.git /b', "source can't be a git ref for COPY"],
    ['ADD --checksum=sha256:abc a b /d/', "checksum can't be specified for multiple sources"],
    ['ADD --checksum=sha256:abc local.tar /d/', 'checksum requires HTTP(S) or Git sources'],
    ['COPY --chmod=8 a /a', "invalid chmod parameter: '8'. it should be octal string and between 0 and 07777"],
    ['COPY --chmod=10000 a /a', "invalid chmod parameter: '10000'. it should be octal string and between 0 and 07777"],
  ])('%s', (line, msg) => expect(() => run(line)).toThrow(`dockerfile parse error on line 2: ${msg}`));
  it('refuses what this builder has no source for, as DOCKERFILE_UNSUPPORTED', () => {
    for (const line of ['ADD https://github.com/moby/buildkit.git#v0.10.1 /buildkit', 'COPY --chmod=u+x a /a']) {
      let code = '';
      try {
        run(line);
      } catch (e) {
        code = (e as TabdockError).code;
      }
      expect(code).toBe('DOCKERFILE_UNSUPPORTED');
    }
  });
});
