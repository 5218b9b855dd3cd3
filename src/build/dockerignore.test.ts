import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { walkContext, type ContextEntry, type ContextSource } from './context.ts';
import { cleanPath, PatternMatcher, readDockerignore } from './dockerignore.ts';

// moby/patternmatcher's TestMatches table (patternmatcher_test.go at
// commit 5a6d8429a19bb6948a372ff19e86fe83599a04b7), checked both ways it checks it: a path
// alone (MatchesOrParentMatches) and walked from its parents (MatchesUsingParentResults).
const SINGLE: [string, string, boolean][] = [["**", "file", true], ["**", "file/", true], ["**/", "file", true], ["**/", "file/", true], ["**", "/", true], ["**/", "/", true], ["**", "dir/file", true], ["**/", "dir/file", true], ["**", "dir/file/", true], ["**/", "dir/file/", true], ["**/**", "dir/file", true], ["**/**", "dir/file/", true], ["dir/**", "dir/file", true], ["dir/**", "dir/file/", true], ["dir/**", "dir/dir2/file", true], ["dir/**", "dir/dir2/file/", true], ["**/dir", "dir", true], ["**/dir", "dir/file", true], ["**/dir2/*", "dir/dir2/file", true], ["**/dir2/*", "dir/dir2/file/", true], ["**/dir2/**", "dir/dir2/dir3/file", true], ["**/dir2/**", "dir/dir2/dir3/file/", true], ["**file", "file", true], ["**file", "dir/file", true], ["**/file", "dir/file", true], ["**file", "dir/dir/file", true], ["**/file", "dir/dir/file", true], ["**/file*", "dir/dir/file", true], ["**/file*", "dir/dir/file.txt", true], ["**/file*txt", "dir/dir/file.txt", true], ["**/file*.txt", "dir/dir/file.txt", true], ["**/file*.txt*", "dir/dir/file.txt", true], ["**/**/*.txt", "dir/dir/file.txt", true], ["**/**/*.txt2", "dir/dir/file.txt", false], ["**/*.txt", "file.txt", true], ["**/**/*.txt", "file.txt", true], ["a**/*.txt", "a/file.txt", true], ["a**/*.txt", "a/dir/file.txt", true], ["a**/*.txt", "a/dir/dir/file.txt", true], ["a/*.txt", "a/dir/file.txt", false], ["a/*.txt", "a/file.txt", true], ["a/*.txt**", "a/file.txt", true], ["a[b-d]e", "ae", false], ["a[b-d]e", "ace", true], ["a[b-d]e", "aae", false], ["a[^b-d]e", "aze", true], [".*", ".foo", true], [".*", "foo", false], ["abc.def", "abcdef", false], ["abc.def", "abc.def", true], ["abc.def", "abcZdef", false], ["abc?def", "abcZdef", true], ["abc?def", "abcdef", false], ["a\\\\", "a\\", true], ["**/foo/bar", "foo/bar", true], ["**/foo/bar", "dir/foo/bar", true], ["**/foo/bar", "dir/dir2/foo/bar", true], ["abc/**", "abc", false], ["abc/**", "abc/def", true], ["abc/**", "abc/def/ghi", true], ["**/.foo", ".foo", true], ["**/.foo", "bar.foo", false], ["a(b)c/def", "a(b)c/def", true], ["a(b)c/def", "a(b)c/xyz", false], ["a.|)$(}+{bc", "a.|)$(}+{bc", true], ["dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true], ["dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true], ["a\\*b", "a*b", true]];
const MULTI: [string[], string, boolean][] = [[["**", "!util/docker/web"], "util/docker/web/foo", false], [["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", true], [["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false], [["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false]];

function walked(pm: PatternMatcher, text: string): boolean {
  const parent = text.includes('/') ? text.slice(0, text.lastIndexOf('/')) : '.';
  let info: boolean[] | undefined;
  if (parent !== '.' && parent !== '') {
    const parts = parent.split('/');
    for (let i = 0; i < parts.length; i++) info = pm.matchesWithParent(parts.slice(0, i + 1).join('/'), info).info;
  }
  return pm.matchesWithParent(text, info).excluded;
}

describe('patternmatcher TestMatches', () => {
  it.each(SINGLE)('%s ~ %s -> %s', (pattern, text, pass) => {
    const pm = new PatternMatcher([pattern]);
    expect(pm.matches(text)).toBe(pass);
    expect(walked(pm, text)).toBe(pass);
  });
  it.each(MULTI)('%j ~ %s -> %s', (patterns, text, pass) => {
    const pm = new PatternMatcher(patterns);
    expect(pm.matches(text)).toBe(pass);
    expect(walked(pm, text)).toBe(pass);
  });
  it.each([
    ['fileutils.go', ['*'], true],
    ['fileutils.go', ['*.go'], true],
    ['fileutils.go', ['!fileutils.go', '*.go'], true],
    ['docs/README.md', ['docs', '!docs/README.md'], false],
    ['docs/README.md', ['docs/', '!docs/README.md'], false],
    ['docs/README.md', ['docs/*', '!docs/README.md'], false],
    ['fileutils.go', ['*.go', '!fileutils.go'], false],
  ] as [string, string[], boolean][])('the single cases: %s ~ %j -> %s', (file, patterns, pass) => {
    expect(new PatternMatcher(patterns).matches(file)).toBe(pass);
  });
  it('refuses a lone "!" and a malformed pattern', () => {
    expect(() => new PatternMatcher(['!'])).toThrow('illegal exclusion pattern: "!"');
    expect(() => new PatternMatcher(['[a-'])).toThrow(TabdockError);
    expect(() => new PatternMatcher(['a\\'.slice(0, 2)])).toThrow('syntax error in pattern');
  });
});

describe('.dockerignore text (ignorefile TestReadAll) and cleaning', () => {
  it('reads comments, leading slashes, exceptions', () => {
    const content = 'test1\n/test2\n/a/file/here\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
    expect(readDockerignore(content)).toEqual(['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  });
  it('cleans ".." and "." as Go\'s path.Clean', () => {
    expect(['a/../b', './a//b/', '../x', '/..', '', 'a/./b/..'].map(cleanPath)).toEqual(['b', 'a/b', '../x', '/', '.', 'a']);
    expect(readDockerignore('dir/../secret\n./build/')).toEqual(['secret', 'build']);
  });
});

/** An in-memory context: paths ending in '/' are directories. */
function memContext(paths: string[]): ContextSource {
  const entries = new Map<string, ContextEntry>();
  for (const p of paths) {
    const dir = p.endsWith('/');
    const path = dir ? p.slice(0, -1) : p;
    entries.set(path, { path, type: dir ? 'dir' : 'file', mode: dir ? 0o755 : 0o644, uid: 0, gid: 0, size: 0 });
  }
  const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  return {
    list: async (dir) => [...entries.values()].filter((e) => parentOf(e.path) === dir),
    read: async () => new Uint8Array(),
    stat: async (p) => entries.get(p),
  };
}

async function kept(paths: string[], ignore: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkContext(memContext(paths), readDockerignore(ignore))) out.push(e.path);
  return out;
}

// The examples of Docker's build-context docs (".dockerignore files"), with the outcome
// they state, walked as BuildKit's file sync walks the context.
describe('the context walk', () => {
  const PROJECT = [
    'Dockerfile', '.dockerignore', 'README.md', 'README-secret.md', 'CHANGES.md', 'main.go',
    'docs/', 'docs/guide.md', 'docs/README.md', 'somedir/', 'somedir/temporary.txt', 'somedir/sub/', 'somedir/sub/temp.txt',
    'temp', 'tempa', 'node_modules/', 'node_modules/x/', 'node_modules/x/index.js', 'src/', 'src/app.go', 'src/app_test.go',
  ];

  it('"*/temp*", "*/*/temp*", "temp?" exclude as the docs list', async () => {
    const got = await kept(PROJECT, '# comment\n*/temp*\n*/*/temp*\ntemp?\n');
    expect(got).not.toContain('somedir/temporary.txt');
    expect(got).not.toContain('somedir/sub/temp.txt');
    expect(got).not.toContain('tempa');
    expect(got).toContain('temp');
  });

  it('"*.md" with "!README.md": only README.md of the markdown at the root', async () => {
    const got = await kept(PROJECT, '*.md\n!README.md\n');
    expect(got.filter((p) => p.endsWith('.md'))).toEqual(['README.md', 'docs/README.md', 'docs/guide.md']);
  });

  it('"*.md", "README-secret.md", "!README*.md": every README, the middle line has no effect', async () => {
    const got = await kept(PROJECT, '*.md\nREADME-secret.md\n!README*.md\n');
    expect(got.filter((p) => !p.includes('/') && p.endsWith('.md'))).toEqual(['README-secret.md', 'README.md']);
  });

  it('an exception inside an excluded directory brings the directory, once, in walk order', async () => {
    const got = await kept(PROJECT, '**\n!docs/README.md\n!src/*.go\nsrc/*_test.go\n');
    expect(got).toEqual(['docs', 'docs/README.md', 'src', 'src/app.go']);
  });

  it('a .dockerignore that excludes the Dockerfile and itself is not an error (they are just not in the context)', async () => {
    const got = await kept(PROJECT, 'Dockerfile\n.dockerignore\nnode_modules\n');
    expect(got).not.toContain('Dockerfile');
    expect(got).not.toContain('.dockerignore');
    expect(got.some((p) => p.startsWith('node_modules'))).toBe(false);
    expect(got).toContain('main.go');
  });

  it('visits directories before their contents, names in byte order', async () => {
    const got = await kept(['b/', 'b/z', 'a.b', 'a/', 'a/c', 'B'], '');
    expect(got).toEqual(['B', 'a', 'a/c', 'a.b', 'b', 'b/z']);
  });
});
