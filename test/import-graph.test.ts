// The import graph between src/ folders: no cycle, and each folder imports only what
// DESIGN.md's table lets it (shared/ is open to all). Where the table is silent, or
// today's code differs from it, the rule below says so (see test/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Who may import whom (besides itself and shared/). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  shared: [],
  proxy: [],
  'registry-client': [],
  // The Dockerfile frontend (issue 15): pure, shared/ only.
  build: [],
  // docker compose's model (issue 18): pure, shared/ and the yaml package only.
  compose: [],
  // DESIGN: "registry-client types only"; today fs-layers also uses its values (Digest, sha256Hasher, layerKind).
  'fs-layers': ['registry-client'],
  emulator: ['fs-layers'],
  // The builder (issue 15) runs the Dockerfile frontend's plan.
  engine: ['registry-client', 'fs-layers', 'emulator', 'build'],
  // The browser composition root (silent in DESIGN): the engine and what it is built from.
  'engine/browser': ['engine', 'registry-client', 'fs-layers', 'emulator'],
  // The docker command line shared by the page and Node (silent in DESIGN): the engine's contract and spec, references.
  'docker-cli': ['engine', 'registry-client', 'build', 'compose'],
  // DESIGN: "engine's RPC contract only": the page's client, and from engine/ types only (checked below).
  ui: ['engine/browser', 'engine', 'docker-cli', 'build'],
  // DESIGN: "engine"; as the Node composition root it also builds what the engine is made of.
  cli: ['engine', 'docker-cli', 'registry-client', 'fs-layers', 'emulator', 'proxy', 'build'],
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function folderOf(file: string): string {
  const [top, sub] = relative(SRC, file).split('/');
  return top === 'engine' && sub === 'browser' ? 'engine/browser' : top!;
}

function importsOf(file: string): Import[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) out.push({ from: file, to: resolve(dirname(file), spec.text), typeOnly });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      const allTypes = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(n)) add(n.moduleSpecifier, n.isTypeOnly);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0], false);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) add(n.argument.literal as ts.Expression, true);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const files = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(SRC, f));
const imports = files.flatMap(importsOf).filter((i) => i.to.startsWith(SRC + '/') && folderOf(i.from) !== folderOf(i.to));

/** A cycle in a graph given as edges, or undefined. */
export function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const dfs = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = dfs(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of edges.keys()) {
    const c = dfs(n);
    if (c) return c;
  }
  return undefined;
}

it('finds the imports (the parser sees this repository)', () => {
  expect(files.length).toBeGreaterThan(100);
  expect(imports.some((i) => folderOf(i.from) === 'engine' && folderOf(i.to) === 'fs-layers')).toBe(true);
});

it('has no cycle between src/ folders', () => {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) edges.set(folderOf(i.from), (edges.get(folderOf(i.from)) ?? new Set()).add(folderOf(i.to)));
  const cycle = findCycle(edges);
  const witness = cycle && cycle.slice(1).map((to, k) => imports.find((i) => folderOf(i.from) === cycle[k] && folderOf(i.to) === to)!).map((i) => `${relative(SRC, i.from)} -> ${relative(SRC, i.to)}`);
  expect(witness ?? []).toEqual([]);
});

it('imports across folders only as the table allows', () => {
  const bad = imports
    .filter((i) => folderOf(i.to) !== 'shared' && !(MAY_IMPORT[folderOf(i.from)] ?? []).includes(folderOf(i.to)))
    .map((i) => `${relative(SRC, i.from)} -> ${relative(SRC, i.to)}`);
  expect(bad).toEqual([]);
});

it('lets the page (ui/) take only types from engine/, and its client from engine/browser', () => {
  const bad = imports
    .filter((i) => folderOf(i.from) === 'ui' && folderOf(i.to) === 'engine' && !i.typeOnly)
    .map((i) => `${relative(SRC, i.from)} -> ${relative(SRC, i.to)}`);
  expect(bad).toEqual([]);
});

it('keeps the rules themselves acyclic and every src/ folder in them', () => {
  const edges = new Map(Object.entries(MAY_IMPORT).map(([k, v]) => [k, new Set(v)]));
  expect(findCycle(edges)).toBeUndefined();
  expect([...new Set(files.map(folderOf))].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
});
